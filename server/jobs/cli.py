"""``flask --app server jobs …`` and ``flask --app server backup …``."""

from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select

from ..common.timeutil import county_zone, utcnow
from ..extensions import db
from . import backup as backups
from . import runner
from .definitions import JOBS
from .models import JobRun

jobs_group = AppGroup("jobs", help="定时任务：调度进程、运行记录、手动运行。")
backup_group = AppGroup("backup", help="数据库备份与恢复。")


def _instant(value):
    try:
        return runner.parse_instant(value) if value else utcnow()
    except ValueError as exc:
        raise click.BadParameter(f"不是 ISO 时间：{value}") from exc


def _local(moment):
    return moment.astimezone(county_zone()).strftime("%Y-%m-%d %H:%M") if moment else "—"


def _job(name):
    if name not in JOBS:
        raise click.BadParameter(f"没有这个任务：{name}（可选：{', '.join(JOBS)}）")
    return JOBS[name]


@jobs_group.command("run")
def run_scheduler():
    """The scheduler process (production): catches up on missed runs, then runs on schedule."""
    from .scheduler import run_blocking

    click.echo(f"调度进程启动：{len(JOBS)} 个任务，时区 {current_app.config['LIANXIN_TZ']}")
    run_blocking(current_app._get_current_object())


@jobs_group.command("list")
@click.option("--runs", default=0, show_default=True, help="also show each job's last N runs")
def list_jobs(runs):
    """Each job, its schedule, its last run and its next one."""
    now = utcnow()
    for job in JOBS.values():
        last = db.session.scalars(
            select(JobRun).where(JobRun.job_name == job.name)
            .order_by(JobRun.scheduled_for.desc()).limit(max(runs, 1))
        ).all()
        following = job.trigger().get_next_fire_time(None, now)
        state = f"{last[0].status} @ {_local(last[0].scheduled_for)}" if last else "从未运行"
        click.echo(f"{job.name:<20} 下次 {_local(following)}  上次 {state}  — {job.description}")
        for run in last[:runs]:
            took = f"{(run.finished_at - run.started_at).total_seconds():.1f}s" if run.finished_at else ""
            error = run.error.strip().splitlines()[-1] if run.error else ""
            click.echo(f"    {_local(run.scheduled_for)}  {run.status:<9} 第{run.attempts}次 {took} "
                       f"{run.runner or ''} {run.result or ''} {error}".rstrip())


@jobs_group.command("run-once")
@click.argument("name")
@click.option("--at", "at", default=None, help="the instant to run for (ISO; county time "
              "without a zone); default now. An instance that already ran is skipped.")
def run_once(name, at):
    """Run one instance of a job now, through the same lock as the scheduler."""
    job, instant = _job(name), _instant(at)
    outcome = runner.run_instance(job, instant)
    click.echo(f"{name} @ {_local(instant)}: {outcome or '已由其他进程运行，跳过'}")
    if outcome == "failed":
        raise SystemExit(1)


@jobs_group.command("catch-up")
@click.option("--at", "at", default=None, help="pretend it is this instant (ISO); default now")
@click.option("--job", "names", multiple=True, help="only these jobs (repeatable)")
def catch_up(at, names):
    """Run what is due and missed (as the scheduler does on start), then exit."""
    jobs = [_job(name) for name in names] if names else list(JOBS.values())
    outcomes = runner.run_due(jobs, _instant(at))
    for name, instant, outcome in outcomes:
        click.echo(f"{name} @ {_local(instant)}: {outcome or '已由其他进程运行，跳过'}")
    if not outcomes:
        click.echo("没有待补运行的任务。")
    if any(outcome == "failed" for _name, _instant_, outcome in outcomes):
        raise SystemExit(1)


@backup_group.command("create")
@click.option("--dir", "directory", type=click.Path(file_okay=False), default=None,
              help="where to write (default LIANXIN_BACKUP_DIR)")
def create(directory):
    """Back up the database now, and the photos not yet in the backup folder."""
    try:
        path = backups.create_backup(directory=directory)
    except backups.BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"已备份到 {path}（{path.stat().st_size:,} 字节）")
    photos = backups.backup_photos(path.parent)
    click.echo(f"照片已备份到 {path.parent / backups.PHOTOS}（新增 {photos:,} 张）")


@backup_group.command("list")
def list_files():
    """The backups in LIANXIN_BACKUP_DIR, newest first."""
    for path in backups.list_backups():
        click.echo(f"{path}  {path.stat().st_size:,} 字节")


@backup_group.command("restore")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--yes", is_flag=True, help="really overwrite the configured database")
@click.option("--no-safety-copy", is_flag=True, help="do not back up the current database first")
def restore(file, yes, no_safety_copy):
    """Replace the database (DATABASE_URL) by a backup, and bring back the photos it names
    from the photos/ folder beside it. Stop the server and scheduler first."""
    target = db.engine.url.render_as_string(hide_password=True)
    if not yes:
        raise click.ClickException(
            f"恢复会覆盖数据库 {target} 的全部数据。确认无误后加 --yes 重新运行。"
        )
    try:
        saved = backups.restore_backup(file, safety_copy=not no_safety_copy)
    except backups.BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    if saved:
        click.echo(f"恢复前的数据库已另存为 {saved}")
    counts = backups.table_counts()
    click.echo(f"已将 {file} 恢复到 {target}：{len(counts)} 张表，共 {sum(counts.values()):,} 行")
    copied, missing = backups.restore_photos(Path(file).parent)
    click.echo(f"照片：从 {Path(file).parent / backups.PHOTOS} 恢复 {copied:,} 张")
    if missing:
        raise click.ClickException(f"数据库记录的照片中有 {missing:,} 张在照片目录和备份中都找不到")
