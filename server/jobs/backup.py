"""Database backups and restores.

SQLite: the online backup API (``sqlite3.Connection.backup``) copies a consistent
snapshot while the server keeps writing, into ``lianxin-YYYYmmdd-HHMM.db`` (county
time) under ``LIANXIN_BACKUP_DIR``; the copy is switched to a rollback journal so
it is one self-contained file. PostgreSQL: ``pg_dump -Fc`` into
``lianxin-YYYYmmdd-HHMM.dump``. A file is written under a temporary name and
renamed when complete, so a half-written backup never looks like a good one. The
newest ``LIANXIN_BACKUP_KEEP`` (14) are kept.

The photos (files of the photo store, ``LIANXIN_PHOTO_DIR``) are copied after the
database into ``photos/`` beside the backups, named by content as in the store: only
the files not there yet are copied (hard-linked when on the same file system), and
none is removed, so the copy holds every photo any kept backup names. The database
goes first: a photo's file is written before its row commits, so every photo the
snapshot names is in the store when the copy runs.

Restore writes a backup into the configured database (``DATABASE_URL``): SQLite by
the backup API the other way, PostgreSQL by ``pg_restore --clean --if-exists
--no-owner --single-transaction`` (all or nothing). Stop the web server and the
scheduler first. Unless told otherwise, a safety copy of the current database
(``pre-restore-…``, never pruned) is taken before anything is overwritten. Then the
photos the restored database names and the photo store lacks are copied back from the
``photos/`` folder beside the backup file.
"""

import contextlib
import hashlib
import os
import re
import shutil
import sqlite3
import subprocess
from pathlib import Path

from flask import current_app
from sqlalchemy import func, inspect, select

from ..common.files import DIR_MODE, FileStore
from ..common.timeutil import county_zone, utcnow
from ..config import PROJECT_ROOT
from ..extensions import db
from ..visits.models import Attachment
from ..visits.photos import photo_store

BACKUP_NAME = re.compile(r"^lianxin-\d{8}-\d{4}\.(db|dump)$")
PHOTOS = "photos"


class BackupError(Exception):
    pass


def backup_dir():
    path = Path(current_app.config["LIANXIN_BACKUP_DIR"])
    return path if path.is_absolute() else PROJECT_ROOT / path


def _engine_url():
    return db.engine.url


def _sqlite_path(url):
    if not url.database or url.database == ":memory:":
        raise BackupError("内存数据库无法备份或恢复")
    return Path(url.database)


def _pg_target(url):
    """A libpq URI without the password (which goes in PGPASSWORD, not on a command line)."""
    uri = url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    return uri, env


def _tool(name):
    path = shutil.which(name)
    if path is None:
        raise BackupError(f"找不到 {name}：请安装与数据库服务器版本一致的 PostgreSQL 客户端")
    return path


def _run(command, env):
    completed = subprocess.run(command, env=env, capture_output=True, text=True)
    if completed.returncode != 0:
        raise BackupError(f"{Path(command[0]).name} 失败：{completed.stderr.strip()[-2000:]}")


def create_backup(now=None, directory=None, prefix="lianxin"):
    """Back the database up into ``directory``; returns the file's path."""
    now = now or utcnow()
    directory = Path(directory) if directory else backup_dir()
    directory.mkdir(parents=True, exist_ok=True)
    url = _engine_url()
    stamp = now.astimezone(county_zone()).strftime("%Y%m%d-%H%M")
    if url.get_backend_name() == "sqlite":
        target = directory / f"{prefix}-{stamp}.db"
        partial = target.with_name(target.name + ".part")
        partial.unlink(missing_ok=True)
        source = sqlite3.connect(_sqlite_path(url), timeout=30)
        copy = sqlite3.connect(partial)
        try:
            source.backup(copy)
            copy.execute("PRAGMA journal_mode=DELETE")
        finally:
            copy.close()
            source.close()
    elif url.get_backend_name() == "postgresql":
        target = directory / f"{prefix}-{stamp}.dump"
        partial = target.with_name(target.name + ".part")
        uri, env = _pg_target(url)
        _run([_tool("pg_dump"), "-Fc", "--no-password", "-f", str(partial), "--dbname", uri], env)
    else:
        raise BackupError(f"不支持备份此类数据库：{url.get_backend_name()}")
    os.replace(partial, target)
    return target


def _copy_file(source, target, key, link):
    """Put the file of ``key`` from the store ``source`` into the store ``target`` if it
    is not there yet: a hard link when ``link``, else (or when linking fails) a synced
    copy. True if it was added."""
    if target.exists(key):
        return False
    if link:
        with contextlib.suppress(OSError):  # e.g. another file system after all: copy
            return target.link(key, source.path(key))
    try:
        data = source.read(key)
    except FileNotFoundError:  # purged since the store was listed
        return False
    return target.put(data) == key


def _same_device(one, other):
    return one.is_dir() and other.is_dir() and os.stat(one).st_dev == os.stat(other).st_dev


def backup_photos(directory=None):
    """Copy the photo store's files missing from ``<directory>/photos``; returns how many."""
    directory = Path(directory) if directory else backup_dir()
    source, target = photo_store(), FileStore(directory / PHOTOS)
    target.root.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    link = _same_device(source.root, target.root)
    return sum(_copy_file(source, target, key, link) for key in source.iter_keys())


def restore_photos(directory):
    """Copy back from ``<directory>/photos`` the files the database names that the photo
    store lacks: (how many were copied, how many are in neither or damaged there)."""
    source, target = FileStore(Path(directory) / PHOTOS), photo_store()
    copied = missing = 0
    for key in db.session.scalars(select(Attachment.file_key).distinct()).all():
        if target.exists(key):
            continue
        try:
            data = source.read(key)
        except FileNotFoundError:
            data = b""
        if hashlib.sha256(data).hexdigest() == key:
            target.put(data)
            copied += 1
        else:
            missing += 1
    return copied, missing


def prune_backups(directory=None, keep=None):
    """Delete all but the newest ``keep`` scheduled backups; returns how many went."""
    directory = Path(directory) if directory else backup_dir()
    keep = current_app.config["LIANXIN_BACKUP_KEEP"] if keep is None else keep
    files = sorted(p for p in directory.iterdir() if BACKUP_NAME.match(p.name))
    doomed = files[:-keep] if keep > 0 else files
    for path in doomed:
        path.unlink()
    return len(doomed)


def list_backups(directory=None):
    directory = Path(directory) if directory else backup_dir()
    if not directory.is_dir():
        return []
    return sorted((p for p in directory.iterdir() if BACKUP_NAME.match(p.name)), reverse=True)


def _check_sqlite_backup(path):
    try:
        connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            ok = connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            migrated = connection.execute(
                "SELECT 1 FROM sqlite_master WHERE name = 'alembic_version'"
            ).fetchone()
        finally:
            connection.close()
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"不是有效的 SQLite 备份：{exc}") from exc
    if not ok or not migrated:
        raise BackupError("备份文件已损坏或不是连心数据库")


def restore_backup(path, *, safety_copy=True):
    """Replace the configured database's contents by the backup at ``path``.

    Returns the safety copy's path (or None).
    """
    path = Path(path)
    if not path.is_file():
        raise BackupError(f"备份文件不存在：{path}")
    url = _engine_url()
    backend = url.get_backend_name()
    if backend == "sqlite":
        _check_sqlite_backup(path)
    elif backend != "postgresql":
        raise BackupError(f"不支持恢复此类数据库：{backend}")
    saved = create_backup(prefix="pre-restore") if safety_copy else None
    db.session.remove()
    db.engine.dispose()  # nothing of ours holds the database while it is replaced
    if backend == "sqlite":
        source = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        target = sqlite3.connect(_sqlite_path(url), timeout=30)
        try:
            source.backup(target)
        finally:
            target.close()
            source.close()
    else:
        uri, env = _pg_target(url)
        _run([_tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "--single-transaction",
              "--no-password", "--dbname", uri, str(path)], env)
    return saved


def table_counts():
    """{table: rows} of the configured database, for operators to compare."""
    names = sorted(inspect(db.engine).get_table_names())
    return {
        name: db.session.scalar(select(func.count()).select_from(db.metadata.tables[name]))
        for name in names if name in db.metadata.tables
    }
