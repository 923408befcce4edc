"""Roster imports: an upload checked (a dry run) or applied by a background job.

``start_import`` stores the upload under the instance folder (``instance/roster``,
readable by the server's user only, like the ledger exports' files) and records the
job, after a first look that the file can be read at all (size, format, password, a
sheet with the header, the row cap) — a file that cannot is refused at once (422).
``runner.launch`` then runs :func:`run_import` in a thread (inline when testing):

1. every row is read and its cells checked (server/roster/checking.py), kept as
   compact values (the workbook itself is streamed, never held);
2. the rows are checked against the file (the same number twice) and the database, and
   — unless a dry run — applied, ``BATCH`` at a time, each batch committed with the
   job's progress: new people created, changed people updated, unchanged ones left
   alone, through the beneficiaries' bulk operations (so phones get them);
3. a report workbook (server/roster/report.py) marks the refused rows, when any.

Never half-applied: a batch is written whole or not at all, and a re-run of the same
file matches the people a crashed run wrote by their number and finds them unchanged,
so it completes the import. An applied import is audited once: who, the file's name
and SHA-256, the counts (no personal data).
"""

import contextlib
import hashlib
import io
import os
import uuid
from datetime import timedelta
from pathlib import Path

from flask import current_app
from sqlalchemy import select

from .. import scope
from ..beneficiaries.operations import TAKEN_ACTION, create_beneficiaries, update_beneficiaries
from ..common.files import FILE_MODE, private_dir, remove_older_than
from ..common.timeutil import utcnow
from ..errors import ApiError, Conflict, NotFound, ValidationFailed
from ..extensions import db
from ..records.audit import audit, audit_many
from ..users.models import User
from . import checking, columns, report
from .models import RosterImport
from .reading import FileProblem, is_blank, open_roster, sniff
from .template import build_template

BATCH = 2000
ERRORS_KEPT = 200
KEEP_UPLOADS = timedelta(days=7)
STALE_AFTER = timedelta(minutes=10)
INTERRUPTED = "导入中断，请重新上传同一文件再导入一次（已导入的人员不会重复）"
FAILED = "导入失败，请稍后重试；已导入的人员不会重复，可重新导入同一文件"
TOO_BIG = "文件太大（超过 {} MB），请分乡镇拆成几个文件上传"
TOO_MANY = "文件行数太多（超过 {:,} 行），请分乡镇拆成几个文件上传"
NO_FILE = "请选择要上传的花名册文件"
EXTENSIONS = {".xlsx", ".xlsm", ".xls", ".csv", ".txt"}
BAD_EXTENSION = "只能上传 Excel（.xlsx、.xls）或 CSV 文件"
NOT_FROM_DRY_RUN = "只能导入自己已完成的检查（试导入）结果"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def upload_dir():
    return private_dir("LIANXIN_ROSTER_DIR", "roster")


def upload_path(job):
    return upload_dir() / job.stored_file


def report_path(job):
    return upload_dir() / f"{job.id}-report.xlsx"


def _private_copy(data_or_stream, path):
    """Write the upload readable by the server's user alone; returns (size, sha256)."""
    digest, size = hashlib.sha256(), 0
    limit = current_app.config["LIANXIN_ROSTER_MAX_BYTES"]
    with contextlib.suppress(FileNotFoundError):
        path.unlink()
    handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    with os.fdopen(handle, "wb") as out:
        while True:
            chunk = data_or_stream.read(1 << 20)
            if not chunk:
                break
            size += len(chunk)
            if size > limit:
                out.close()
                path.unlink(missing_ok=True)
                raise _file_error(TOO_BIG.format(limit // (1 << 20)))
            digest.update(chunk)
            out.write(chunk)
    return size, digest.hexdigest()


def _file_error(message):
    return ValidationFailed({"file": [message]})


def remove_old_files():
    remove_older_than(upload_dir(), KEEP_UPLOADS)


def open_checked(path):
    """The roster in ``path`` (server/roster/reading.py), or FileProblem: it cannot be
    read, has no header, lacks a column, or holds more rows than the cap."""
    roster = open_roster(path, columns.is_header, columns.header_missing_sentence())
    missing = columns.missing_columns(columns.header_keys(
        [columns.normalized_header(text) for text in roster.headers]))
    limit = current_app.config["LIANXIN_ROSTER_MAX_ROWS"]
    if missing is None and roster.rows_estimate is not None and roster.rows_estimate > limit:
        missing = TOO_MANY.format(limit)
    if missing:
        roster.close()
        raise FileProblem(missing)
    return roster


def start_import(stream, file_name, dry_run, actor):
    """Store an upload and record its job (the caller commits, then launches it).
    ``actor`` None: the system (the command line)."""
    if actor is not None:
        scope.require_staff(actor)
    if stream is None or not file_name:
        raise _file_error(NO_FILE)
    file_name = os.path.basename(file_name.replace("\\", "/"))[:200]
    if Path(file_name).suffix.lower() not in EXTENSIONS:
        raise _file_error(BAD_EXTENSION)
    remove_old_files()
    job_id = uuid.uuid4()
    stored = f"{job_id}{Path(file_name).suffix.lower()}"
    path = upload_dir() / stored
    size, sha256 = _private_copy(stream, path)
    try:
        open_checked(path).close()
    except FileProblem as problem:
        path.unlink(missing_ok=True)
        raise _file_error(problem.message) from problem
    job = RosterImport(id=job_id, user_id=actor.id if actor else None, dry_run=dry_run,
                       status="queued", file_name=file_name, file_sha256=sha256,
                       file_size=size, stored_file=stored, errors=[])
    db.session.add(job)
    db.session.flush()
    return job


def start_apply(dry_job, actor):
    """The import of a finished dry run's stored upload: a new job, for the same user."""
    if (dry_job.status != "done" or not dry_job.dry_run
            or dry_job.user_id != (actor.id if actor else None)):
        raise Conflict(NOT_FROM_DRY_RUN, code="roster_not_checked")
    if not upload_path(dry_job).exists():
        raise ApiError("上传的文件已过期，请重新上传", status=410, code="roster_upload_expired")
    job = RosterImport(user_id=dry_job.user_id, dry_run=False, applied_from_id=dry_job.id,
                       status="queued", file_name=dry_job.file_name,
                       file_sha256=dry_job.file_sha256, file_size=dry_job.file_size,
                       stored_file=dry_job.stored_file, errors=[])
    db.session.add(job)
    db.session.flush()
    return job


def _save(job, checkpoint, **values):
    for name, value in values.items():
        setattr(job, name, value)
    job.updated_at = utcnow()
    db.session.flush()
    checkpoint()


def mark_failed(job_id, message=FAILED):
    job = db.session.get(RosterImport, job_id)
    if job is not None:
        job.status, job.error, job.updated_at = "failed", message, utcnow()
        job.finished_at = utcnow()
        db.session.flush()


class Result:
    """What a run came to, whole (the job row keeps the first ERRORS_KEPT problems)."""

    def __init__(self, job):
        self.job = job
        self.errors = []  # {row, column, message}

    def summary(self):
        return {"created": self.job.created, "updated": self.job.updated,
                "unchanged": self.job.unchanged, "errors": self.errors}


def run_import(job_id, *, checkpoint=None):
    """Check (and unless a dry run, apply) the job's upload; returns a :class:`Result`.

    ``checkpoint`` makes the progress (and each applied batch) durable: a flush in the
    request's transaction by default (an inline run), a commit from the job's thread or
    the command line. A file that turns out unreadable fails the job with its sentence.
    """
    checkpoint = checkpoint or (lambda: None)
    job = db.session.get(RosterImport, job_id)
    actor = db.session.get(User, job.user_id) if job.user_id else None
    result = Result(job)
    _save(job, checkpoint, status="running", rows_done=0, error=None)
    try:
        roster = open_checked(upload_path(job))
    except (FileProblem, FileNotFoundError) as problem:
        message = getattr(problem, "message", "上传的文件已过期，请重新上传")
        _save(job, checkpoint, status="failed", error=message, finished_at=utcnow())
        return result
    with upload_path(job).open("rb") as handle:
        kind = sniff(handle.read(8))
    where = {"sheet": roster.sheet_name, "header_row": roster.header_row, "kind": kind}
    try:
        reader, read_rows = _read_all(roster, actor)
    except FileProblem as problem:
        _save(job, checkpoint, status="failed", error=problem.message, finished_at=utcnow())
        return result
    finally:
        roster.close()
    _save(job, checkpoint, rows_total=len(read_rows))
    duplicates = {}
    for read in read_rows:
        if read.lookup_hash:
            duplicates.setdefault(read.lookup_hash, []).append(read.number)
    duplicates = {key: numbers for key, numbers in duplicates.items() if len(numbers) > 1}
    # Applied a village at a time: a batch's change-log rows then go to a few scopes
    # (one counter bump each), not to every village of the county.
    read_rows.sort(key=lambda read: read.values.get("village_id") or "")
    budget = checking.TakenBudget(actor, current_app.config["LIANXIN_ID_TAKEN_LIMIT"])
    counts = {"created": 0, "updated": 0, "unchanged": 0, "refused": 0}
    refused_rows = {}
    for start in range(0, len(read_rows), BATCH):
        batch = read_rows[start:start + BATCH]
        outcome = checking.check_batch(reader, batch, duplicates, budget)
        if outcome.taken:  # each "registered elsewhere" answer, as for a single write
            audit_many([(TAKEN_ACTION, "beneficiary", person_id, {"own_record": False})
                        for person_id in outcome.taken], user=actor)
        if not job.dry_run:
            create_beneficiaries(outcome.creates, actor)
            update_beneficiaries(outcome.updates, actor)
        counts["created"] += len(outcome.creates)
        counts["updated"] += len(outcome.updates)
        counts["unchanged"] += outcome.unchanged
        for number, key, message in outcome.refused:
            refused_rows.setdefault(number, []).append((reader.column_name(key), message))
            result.errors.append({"row": number, "column": reader.column_name(key),
                                  "message": message})
        counts["refused"] = len(refused_rows)
        result.errors.sort(key=lambda error: error["row"])
        _save(job, checkpoint, rows_done=start + len(batch), **counts,
              errors=result.errors[:ERRORS_KEPT], errors_total=len(result.errors))
        for read in batch:  # what is done with is let go (a county's roster is large)
            read.values = None
    has_report = False
    if refused_rows:
        report.write_report(upload_path(job), report_path(job), where, refused_rows,
                            lambda: open_checked(upload_path(job)))
        has_report = True
    if not job.dry_run:
        audit("roster_import", user=actor, entity="roster_import", record_id=job.id,
              changes={"file_name": job.file_name, "file_sha256": job.file_sha256,
                       "rows": len(read_rows), **counts})
    _save(job, checkpoint, status="done", has_report=has_report, finished_at=utcnow())
    return result


def _read_all(roster, actor):
    """Every row of the roster, read (checking.ReadRow), blank ones and rows naming
    nobody skipped; FileProblem past the row cap."""
    allowed = None if actor is None else scope.village_ids(actor)
    keys = columns.header_keys([columns.normalized_header(text) for text in roster.headers])
    reader = checking.RowReader(keys, roster.headers, checking.VillageIndex(allowed))
    limit = current_app.config["LIANXIN_ROSTER_MAX_ROWS"]
    rows = []
    for row in roster.rows():
        if is_blank(row) or not reader.is_person(row):
            continue
        rows.append(reader.read(row))
        if len(rows) > limit:
            raise FileProblem(TOO_MANY.format(limit))
    return reader, rows


def get_job(job_id, actor):
    """A job of ``actor``'s own: nobody else may see it or its report."""
    scope.require_staff(actor)
    job = db.session.get(RosterImport, job_id)
    if job is None or job.user_id != actor.id:
        raise NotFound("导入任务不存在")
    return job


def list_jobs(actor, limit=20):
    scope.require_staff(actor)
    return db.session.scalars(
        select(RosterImport).where(RosterImport.user_id == actor.id)
        .order_by(RosterImport.created_at.desc()).limit(limit)).all()


def describe(job):
    status, error = job.status, job.error
    if status in ("queued", "running") and job.updated_at < utcnow() - STALE_AFTER:
        status, error = "failed", INTERRUPTED
    return {
        "id": job.id, "status": status, "dry_run": job.dry_run, "file_name": job.file_name,
        "file_sha256": job.file_sha256, "rows_total": job.rows_total,
        "rows_done": job.rows_done, "created": job.created, "updated": job.updated,
        "unchanged": job.unchanged, "refused": job.refused, "errors": job.errors or [],
        "errors_total": job.errors_total, "has_report": job.has_report, "error": error,
        "applied_from": job.applied_from_id, "created_at": job.created_at,
        "finished_at": job.finished_at,
    }


def template_workbook(actor):
    """The template (server/roster/template.py), for staff, as an open buffer."""
    scope.require_staff(actor)
    buffer = io.BytesIO()
    build_template().save(buffer)
    buffer.seek(0)
    return buffer


def report_file(job):
    if not job.has_report or not report_path(job).exists():
        raise NotFound("没有错误报告：这次导入没有出错的行")
    return report_path(job)


def report_name(job):
    return f"{Path(job.file_name).stem}-错误说明.xlsx"
