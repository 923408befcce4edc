"""Folders of files that hold personal data (ledger exports, uploaded rosters): readable
by the server's user alone, old files removed."""

import contextlib
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
