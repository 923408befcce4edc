"""Every scheduled job: a function of the current time, and when it runs.

Each ``run_<name>(now)`` takes the current UTC time, so tests (and ``jobs
run-once --at``) can drive any day of any month. It returns what it did, kept in
``job_run.result``. The rules are elsewhere; these functions only apply them and
commit, in batches where a county-wide run would otherwise hold SQLite's write
lock for long. Times are county time (``LIANXIN_TZ``).
"""

from ..common.timeutil import county_today
from ..exports.operations import remove_old_files
from ..extensions import db
from ..visits import tasks
from . import backup, housekeeping, reminders
from .runner import CATCH_UP, Job


def _commit():
    db.session.commit()


def run_monthly_tasks(now):
    today = county_today(now)
    created = tasks.ensure_monthly_tasks(today, checkpoint=_commit)
    return {"period": tasks.period_of(today), "created": created}


def run_follow_up_tasks(now):
    # visits written through operations.py already have their task: this is a safety net
    return {"repaired": tasks.reconcile_follow_ups(now - CATCH_UP, checkpoint=_commit)}


def run_overdue_tasks(now):
    return {"changed": tasks.mark_overdue_tasks(county_today(now), checkpoint=_commit)}


def run_mediation_reminders(now):
    return {"reminded_cases": reminders.remind_idle_cases(now)}


def run_feedback_reminders(now):
    return reminders.remind_feedback_deadlines(county_today(now))


def run_purge_sessions(now):
    return {"deleted": housekeeping.purge_login_sessions(now)}


def run_purge_sync_log(now):
    return housekeeping.purge_sync_log(now)


def run_purge_photos(now):
    deleted = housekeeping.purge_unlinked_photos(now)
    _commit()  # the rows are gone for good before their files go
    return {"deleted": deleted, "files": housekeeping.purge_unnamed_photo_files(now)}


def run_purge_exports(now):
    return {"deleted": remove_old_files()}


def run_backup(now):
    path = backup.create_backup(now)
    return {"file": path.name, "bytes": path.stat().st_size,
            "photos": backup.backup_photos(path.parent), "pruned": backup.prune_backups(path.parent)}


# In the order a catch-up runs them: tasks before the overdue marking, reminders last.
JOBS = {job.name: job for job in (
    Job("monthly_tasks", run_monthly_tasks, {"hour": 0, "minute": 5},
        "每月走访任务：每月1日为在册对象生成，之后每天补齐新增对象", catch_up="all"),
    Job("follow_up_tasks", run_follow_up_tasks, {"hour": 0, "minute": 15},
        "跟进/复访任务补漏（走访保存时已即时生成）"),
    Job("overdue_tasks", run_overdue_tasks, {"hour": 0, "minute": 25},
        "标记逾期任务并刷新逾期天数"),
    Job("backup", run_backup, {"hour": 2, "minute": 30}, "数据库备份（保留最近N份）"),
    Job("purge_sessions", run_purge_sessions, {"hour": 3, "minute": 0},
        "清理已注销或已过期的登录会话"),
    Job("purge_sync_log", run_purge_sync_log, {"hour": 3, "minute": 10},
        "清理超过保留期的同步删除记录和变更回执"),
    Job("purge_photos", run_purge_photos, {"hour": 3, "minute": 20},
        "清理上传后从未关联走访记录的照片"),
    Job("purge_exports", run_purge_exports, {"minute": 40},
        "删除一小时内未下载的导出台账文件"),
    Job("mediation_reminders", run_mediation_reminders, {"hour": 8, "minute": 0},
        "纠纷调解久未进展提醒联络员"),
    Job("feedback_reminders", run_feedback_reminders, {"hour": 8, "minute": 10},
        "征求意见办理期限提醒与逾期督办"),
)}
