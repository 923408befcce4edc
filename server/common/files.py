"""Folders of files that hold personal data (ledger exports, uploaded rosters, photos):
readable by the server's user alone, old files removed; and a store of files named by
their content (``FileStore``), which photos live in."""

import contextlib
import hashlib
import os
import re
import tempfile
import time
from pathlib import Path

from flask import current_app

FILE_MODE, DIR_MODE = 0o600, 0o700


def private_dir(setting, name):
    """The folder ``setting`` (a config key) names, else a temporary one when testing,
    else ``instance/<name>``; made (and kept) readable by the server's user alone."""
    configured = current_app.config.get(setting)
    if configured:
        path = Path(configured)
    elif current_app.testing:
        path = Path(tempfile.gettempdir()) / f"lianxin-test-{name}"
    else:
        path = Path(current_app.instance_path) / name
    path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    if path.stat().st_mode & 0o077:
        path.chmod(DIR_MODE)
    return path


def remove_older_than(folder, age, pattern="*"):
    """Delete the files of ``folder`` matching ``pattern`` last written more than ``age``
    (a timedelta) ago; returns how many."""
    horizon = time.time() - age.total_seconds()
    removed = 0
    for path in folder.glob(pattern):
        with contextlib.suppress(FileNotFoundError):
            if path.stat().st_mtime < horizon:
                path.unlink()
                removed += 1
    return removed


class FileStore:
    """Files named by the SHA-256 of their bytes, under ``root``: ``<root>/ab/cd/abcd…``.

    A file is written whole or not at all (a temporary file in the same folder, synced,
    renamed over the name, the folder synced), so a crash never leaves a name holding
    half a file, and a file ``put`` returned the key of outlives a power cut. Putting
    bytes already there writes nothing again but refreshes the file's time, which tells
    a sweep of unnamed files (``iter_keys(older_than=…)``) that it is in use again.
    Two callers storing the same bytes share one file: whoever deletes must first know
    that nothing else names the key.
    """

    KEY = re.compile(r"^[0-9a-f]{64}$")
    PARTIAL = ".part"

    def __init__(self, root):
        self.root = Path(root)

    def path(self, key):
        if not isinstance(key, str) or not self.KEY.match(key):
            raise ValueError(f"not a file key: {key!r}")
        return self.root / key[:2] / key[2:4] / key

    def put(self, data):
        """Store ``data``; returns its key once it is safely on disk."""
        key = hashlib.sha256(data).hexdigest()
        target = self.path(key)
        if self._holds(target, key):
            os.utime(target)
            return key
        self._make_folders(target.parent)
        handle, partial = tempfile.mkstemp(dir=target.parent, prefix=f".{key[:8]}-",
                                           suffix=self.PARTIAL)
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.chmod(partial, FILE_MODE)
            os.replace(partial, target)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(partial)
            raise
        _sync_folder(target.parent)
        return key

    def link(self, key, source):
        """Store the file at ``source``, whose bytes are those of ``key`` (a file of
        another store), as a hard link; True if added, False if ``key`` was there. An
        OSError when the two are on different file systems."""
        target = self.path(key)
        self._make_folders(target.parent)
        try:
            os.link(source, target)
        except FileExistsError:
            return False
        _sync_folder(target.parent)
        return True

    def exists(self, key):
        return self.path(key).is_file()

    def open(self, key):
        """The file for reading (binary); FileNotFoundError when it is not there."""
        return self.path(key).open("rb")

    def read(self, key):
        return self.path(key).read_bytes()

    def delete(self, key):
        """Remove the file of ``key``; True if there was one."""
        try:
            self.path(key).unlink()
        except FileNotFoundError:
            return False
        return True

    def iter_keys(self, older_than=None):
        """Every key stored (those last written or put before ``older_than``, a POSIX
        time, if given), folder by folder."""
        if not self.root.is_dir():
            return
        for first in sorted(self.root.iterdir()):
            if not first.is_dir() or len(first.name) != 2:
                continue
            for second in sorted(first.iterdir()):
                if not second.is_dir():
                    continue
                for path in sorted(second.iterdir()):
                    if not self.KEY.match(path.name):
                        continue
                    if older_than is None or _mtime(path) < older_than:
                        yield path.name

    def remove_partials(self, older_than):
        """Delete temporary files a crash left behind (written before ``older_than``)."""
        removed = 0
        for path in self.root.glob(f"*/*/*{self.PARTIAL}"):
            if _mtime(path) < older_than:
                with contextlib.suppress(FileNotFoundError):
                    path.unlink()
                    removed += 1
        return removed

    def _holds(self, path, key):
        try:
            with path.open("rb") as existing:
                return hashlib.file_digest(existing, "sha256").hexdigest() == key
        except FileNotFoundError:
            return False

    def _make_folders(self, folder):
        missing = []
        while not folder.is_dir():
            missing.append(folder)
            folder = folder.parent
        for made in reversed(missing):
            with contextlib.suppress(FileExistsError):
                made.mkdir(mode=DIR_MODE)
            _sync_folder(made.parent)


def _mtime(path):
    try:
        return path.stat().st_mtime
    except FileNotFoundError:
        return float("inf")


def _sync_folder(folder):
    """Make a rename or a new name in ``folder`` durable (its entry, not only the file)."""
    handle = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(handle)
    finally:
        os.close(handle)
