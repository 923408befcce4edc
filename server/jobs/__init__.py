"""Scheduled work: what runs when, and the lock that makes each run happen once.

- ``definitions.py`` — every job as ``run_<name>(now)``, plus its schedule;
- ``runner.py`` — claiming a job instance in ``job_run``, running it, catching up;
- ``scheduler.py`` — APScheduler wiring (``jobs run`` and the in-process scheduler);
- ``housekeeping.py`` and ``backup.py`` — purges, backups and restores;
- ``reminders.py`` — mediation and feedback reminders;
- ``cli.py`` — ``flask --app server jobs …`` and ``flask --app server backup …``.

The rules a job applies live with the thing they are about (``server/visits/tasks.py``
for visit tasks); a job only says when they run.
"""
