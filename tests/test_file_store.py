"""The content-addressed file store photos live in (server/common/files.py)."""

import hashlib
import os
import stat

import pytest

from server.common.files import FileStore


def test_a_file_is_named_by_its_content_and_readable_by_the_server_alone(tmp_path):
    store = FileStore(tmp_path / "photos")
    data = b"\xff\xd8 a photo"
    key = store.put(data)
    assert key == hashlib.sha256(data).hexdigest()
    path = store.path(key)
    assert path == tmp_path / "photos" / key[:2] / key[2:4] / key
    assert store.read(key) == data and store.exists(key)
    with store.open(key) as handle:
        assert handle.read() == data
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert list(store.iter_keys()) == [key]


def test_putting_the_same_bytes_again_keeps_one_file_and_refreshes_its_time(tmp_path):
    store = FileStore(tmp_path)
    key = store.put(b"same")
    os.utime(store.path(key), (1_000_000, 1_000_000))
    assert store.put(b"same") == key
    assert store.path(key).stat().st_mtime > 1_000_000
    assert list(store.iter_keys()) == [key]
    assert list(store.iter_keys(older_than=2_000_000)) == []


def test_a_damaged_file_is_written_anew_by_the_next_put(tmp_path):
    store = FileStore(tmp_path)
    key = store.put(b"the photo")
    store.path(key).write_bytes(b"the pho")  # truncated by something outside the store
    assert store.put(b"the photo") == key
    assert store.read(key) == b"the photo"


def test_a_write_that_fails_leaves_neither_the_name_nor_a_partial_file(tmp_path, monkeypatch):
    store = FileStore(tmp_path)

    def disk_full(_fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", disk_full)
    with pytest.raises(OSError):
        store.put(b"never stored")
    key = hashlib.sha256(b"never stored").hexdigest()
    assert not store.exists(key)
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []


def test_partial_files_left_by_a_crash_are_swept_and_keys_are_checked(tmp_path):
    store = FileStore(tmp_path)
    key = store.put(b"kept")
    stray = store.path(key).parent / f".{key[:8]}-x{FileStore.PARTIAL}"
    stray.write_bytes(b"ha")
    os.utime(stray, (1_000_000, 1_000_000))
    assert store.remove_partials(older_than=2_000_000) == 1
    assert not stray.exists() and store.exists(key)
    assert store.delete(key) and not store.delete(key)
    for bad in ("../../etc/passwd", key.upper(), key[:-1], None):
        with pytest.raises(ValueError):
            store.path(bad)


def test_a_hard_link_from_another_store_is_added_once(tmp_path):
    live, copy = FileStore(tmp_path / "live"), FileStore(tmp_path / "copy")
    key = live.put(b"linked")
    assert copy.link(key, live.path(key)) is True
    assert copy.link(key, live.path(key)) is False
    assert copy.read(key) == b"linked"
    assert copy.path(key).stat().st_ino == live.path(key).stat().st_ino
