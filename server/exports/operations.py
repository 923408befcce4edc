"""Export jobs: asked for in a request, written by a background thread.

``start_export`` checks the request and records the job (the request commits);
``runner.launch`` starts a thread with its own app context that streams the ledger's
rows from a read-only connection into a streamed workbook (workbook.py) under
``instance/exports``, committing its progress to the job row every few thousand rows,
so any server process can report it. With ``LIANXIN_EXPORT_INLINE`` (the default when testing,
where each test's data lives in one uncommitted transaction) the job runs in the
request instead.

The files hold personal data (full ID numbers when asked, visit texts): written
readable by the server's user only (0600, in a 0700 directory), sent once — the
download removes the file as it starts sending it (a lost download is exported again) — and a
file never fetched is deleted ``KEEP_FILES`` after it was written (on the next
export or download, and by the hourly ``purge_exports`` job).

Full ID numbers need a fresh login (the request says whether its token is fresh) and
are opened through one audited reveal per export (server/beneficiaries/identity.py):
one ``read_id_number`` row with the number of IDs written.
"""

import contextlib
import os
import tempfile
import uuid
from datetime import timedelta

from flask import g, has_request_context, request
from sqlalchemy import func, select

from .. import scope
from ..beneficiaries.identity import Reveal
from ..common.files import FILE_MODE, private_dir, remove_older_than
from ..common.sheets import period_name
from ..common.timeutil import county_today, utcnow
from ..errors import ApiError, Conflict, NotFound
from ..extensions import db
from ..records.audit import audit
from ..regions.models import Region, full_name
from ..users.models import User
from .ledgers import LEDGERS
from .models import ExportJob
from .schemas import KINDS
from .workbook import write_ledger

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
STREAM_BATCH = 2000
# Long enough to see the job finish and fetch the file; a file waits no longer.
KEEP_FILES = timedelta(hours=1)
# A job whose row has not moved for this long died with its process.
STALE_AFTER = timedelta(minutes=10)
# XlsxWriter's temporary files (tempfile.mkstemp without a prefix), kept in export_dir()
SCRATCH_PREFIX = tempfile.template
INTERRUPTED = "导出中断，请重新导出"
# request field -> the ledger's filter name, where the two differ
INPUT_NAMES = {"health_events": {"kind": "kind_filter"}, "mediation_cases": {"kind": "case_kind"}}
UUID_FILTERS = ("township_id", "village_id")
FRESH_LOGIN_REQUIRED = "导出完整身份证号须重新输入密码"


def export_dir():
    return private_dir("LIANXIN_EXPORT_DIR", "exports")


def file_path(job):
    return export_dir() / f"{job.id}.xlsx"


def remove_old_files():
    """Delete export files written more than KEEP_FILES ago — and the temporary files of
    a writer whose process died (server/exports/workbook.py) — ; returns how many."""
    folder = export_dir()
    return sum(remove_older_than(folder, KEEP_FILES, pattern)
               for pattern in ("*.xlsx*", f"{SCRATCH_PREFIX}*"))


def _private_file(path):
    """Create ``path`` empty, readable and writable by the server's user alone, whatever
    the umask; the workbook is then written into it (an open for writing keeps the mode)."""
    with contextlib.suppress(FileNotFoundError):
        path.unlink()
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE))
    os.chmod(path, FILE_MODE)


def _take(path):
    """The file opened for reading and removed from the directory: the download streams
    from the open handle, and nothing is left on disk once it is closed."""
    try:
        handle = open(path, "rb")  # noqa: SIM115 - send_file closes it
    except FileNotFoundError:
        return None
    path.unlink(missing_ok=True)
    return handle


def _stored(value):
    return str(value) if isinstance(value, uuid.UUID) else value


def _loaded(filters):
    return {name: uuid.UUID(value) if name in UUID_FILTERS else value
            for name, value in filters.items()}


def start_export(values, actor, *, fresh_login=False):
    """Record an export job of ``values`` for ``actor``; the caller commits and launches.
    Full ID numbers need ``fresh_login``: a token of a password typed minutes ago."""
    if values.get("full_ids") and not fresh_login:
        raise ApiError(FRESH_LOGIN_REQUIRED, status=401, code="fresh_login_required")
    scope.require_staff(actor)
    ledger = LEDGERS[values["kind"]]
    if values.get("township_id"):
        scope.require_township(values["township_id"], actor)
    if values.get("village_id"):
        scope.require_village(values["village_id"], actor)
    names = INPUT_NAMES.get(ledger.kind, {})
    filters = {}
    for name in (*UUID_FILTERS, *ledger.filters):
        value = values.get(names.get(name, name))
        if value:
            filters[name] = _stored(value)
    job = ExportJob(user_id=actor.id, kind=ledger.kind, filters=filters,
                    full_ids=bool(values.get("full_ids")), status="queued")
    if has_request_context():
        job.ip = request.remote_addr
        job.client_id = (g.get("sync_client_id") or request.headers.get("X-Client-Id") or "")[:64] or None
    db.session.add(job)
    db.session.flush()
    audit("export", user=actor, entity="export_job", record_id=job.id,
          changes={"kind": ledger.kind, "filters": filters, "full_ids": job.full_ids})
    remove_old_files()
    return job


def _save(job, checkpoint, **values):
    for name, value in values.items():
        setattr(job, name, value)
    job.updated_at = utcnow()
    checkpoint()


def mark_failed(job_id):
    """The job of a run that raised; its row tells the user to export again."""
    job = db.session.get(ExportJob, job_id)
    if job is not None:
        job.status, job.error, job.updated_at = "failed", "导出失败，请稍后重试", utcnow()
        db.session.flush()


def ledger_heading(ledger, filters, actor):
    """The title row of a printed ledger: where (the area asked for, else the user's
    own), which ledger, and when."""
    area_id = filters.get("village_id") or filters.get("township_id") or actor.region_id
    region = db.session.get(Region, area_id) if area_id else None
    month = filters.get("month") if "month" in ledger.filters else None
    return f"{full_name(region)}{KINDS[ledger.kind]}（{period_name(month, county_today())}）"


def _download_name(job, ledger_title):
    filters = job.filters or {}
    return f"{ledger_title}-{filters.get('month') or county_today().isoformat()}.xlsx"


def run_export(job_id, *, checkpoint=None, rows_from=None):
    """Write the job's ledger file, saving its progress on the way.

    ``checkpoint`` makes what was saved so far readable: by default a flush, in the
    request's transaction (an inline run); the export thread (server/exports/runner.py)
    passes a commit, so any server process reports the progress. ``rows_from`` opens
    where the rows are read: by default the request's own session.
    """
    checkpoint = checkpoint or db.session.flush
    job = db.session.get(ExportJob, job_id)
    actor = db.session.get(User, job.user_id)
    ledger = LEDGERS[job.kind]
    filters = _loaded(job.filters or {})
    statement = ledger.statement(filters, actor, job.full_ids)
    total = db.session.scalar(
        select(func.count()).select_from(statement.order_by(None).subquery())
    )
    _save(job, checkpoint, status="running", rows_total=total, rows_done=0)
    path = file_path(job)
    partial = path.with_name(path.name + ".part")
    _private_file(partial)
    reading = rows_from() if rows_from else contextlib.nullcontext(db.session)
    with reading as connection, _revealing(job, actor) as shown:
        rows = connection.execute(statement.execution_options(yield_per=STREAM_BATCH))
        written = write_ledger(partial, ledger, rows, shown,
                               progress=lambda n: _save(job, checkpoint, rows_done=n),
                               title=ledger_heading(ledger, filters, actor),
                               scratch=export_dir())
    os.replace(partial, path)
    if shown is not None:  # where the export was asked from, not this thread
        shown.entry.ip, shown.entry.client_id = job.ip, job.client_id
    _save(job, checkpoint, status="done", rows_done=written,
          ids_read=shown.count if shown else 0,
          file_name=_download_name(job, KINDS[job.kind]), finished_at=utcnow())


def _revealing(job, actor):
    """The reveal a ledger's full ID numbers are opened through, for the user who asked
    (or nothing to open: the ledger shows masked numbers)."""
    if not job.full_ids:
        return contextlib.nullcontext()
    return Reveal(actor, entity="export_job", record_id=job.id,
                  details={"ledger": job.kind, "filters": job.filters})


def get_job(job_id, actor):
    """A job of ``actor``'s own: nobody else may see it or read its file."""
    scope.require_staff(actor)
    job = db.session.get(ExportJob, job_id)
    if job is None or job.user_id != actor.id:
        raise NotFound("导出任务不存在")
    return job


def describe(job):
    status, error = job.status, job.error
    if status in ("queued", "running") and job.updated_at < utcnow() - STALE_AFTER:
        status, error = "failed", INTERRUPTED
    total = job.rows_total
    if status == "done":
        progress = 1.0
    elif total:
        progress = round(min(job.rows_done / total, 1.0), 4)
    else:
        progress = 0.0
    return {
        "id": job.id, "kind": job.kind, "filters": job.filters, "full_ids": job.full_ids,
        "status": status, "progress": progress, "rows": job.rows_done, "rows_total": total,
        "file_name": job.file_name, "error": error, "created_at": job.created_at,
        "finished_at": job.finished_at,
    }


def job_file(job, actor):
    """The finished file, opened once: a second download is refused (410). The download
    is audited."""
    if job.status != "done":
        raise Conflict("导出尚未完成", code="export_not_ready")
    remove_old_files()
    handle = _take(file_path(job))
    if handle is None:
        raise ApiError("文件已过期，请重新导出", status=410, code="export_expired")
    audit("download_export", user=actor, entity="export_job", record_id=job.id,
          changes={"ledger": job.kind, "rows": job.rows_done, "full_ids": job.full_ids})
    return handle
