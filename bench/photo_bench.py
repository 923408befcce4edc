"""Photos out of the database: what a county month of photos costs PostgreSQL, before and after.

A county month is 111,628 visits (the visit day of the whole county, docs/performance.md).
Assumed: one photo on 20 % of them (the phone takes photos of a sick visit, a hardship,
a mediation, good news; most monthly visits carry none), 22,326 photos a month. Each
photo is what the server keeps of a phone's upload: the PWA shrinks a camera photo to
1,280 px on the long side, JPEG (pwa/src/photos.js), and the server re-encodes it at
quality 85 (server/visits/photos.py); the sample photos are made that way, of varied
content, and their mean size is printed (about 150 kB, a phone photo of that size).

Measured on a sample (``BENCH_PHOTOS``, 2,000 photos), on the real schemas: a database
migrated to 0014 (``attachment.data`` holds the bytes, as before) is filled with the
sample, its sizes read with ``pg_total_relation_size`` / ``pg_database_size``; then the
real migration 0015 moves the bytes into the photo store (timed), and the sizes are
read again — right after it (PostgreSQL drops a column without rewriting the table)
and after ``VACUUM FULL attachment`` gives the space back. The per-photo figures are
then scaled to the county month and to a year, printed as extrapolations.
"""

import datetime as dt
import io
import logging
import os
import random
import time
import uuid
from pathlib import Path

import sqlalchemy as sa
from PIL import Image

from server import create_app
from server.extensions import db

from . import harness

VISITS_PER_MONTH = 111_628
PHOTO_SHARE = 0.20
PHOTOS_PER_VISIT = 1
MONTH_PHOTOS = round(VISITS_PER_MONTH * PHOTO_SHARE * PHOTOS_PER_VISIT)
SAMPLE = int(os.environ.get("BENCH_PHOTOS", "2000"))
INSERT_BATCH = 100
MB = 1024 * 1024


def phone_photos(count, seed=20):
    """``count`` distinct photos as the server keeps them (1,280 × 960 JPEG, re-encoded)."""
    from server.visits.photos import _reencoded

    noise = Image.effect_noise((1280, 960), 14).convert("RGB")
    flipped = noise.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    rnd = random.Random(seed)
    for index in range(count):
        scene = Image.frombytes("RGB", (50, 37), rnd.randbytes(50 * 37 * 3)).resize(
            (1280, 960), Image.Resampling.BICUBIC)
        sent = io.BytesIO()
        Image.blend(scene, flipped if index % 2 else noise, 0.12).save(sent, "JPEG", quality=80)
        yield _reencoded(sent.getvalue(), "image/jpeg")


def _sizes():
    row = db.session.execute(sa.text(
        "SELECT pg_database_size(current_database()), pg_total_relation_size('attachment')")).one()
    return {"database": row[0], "attachment": row[1]}


def _uploader():
    from server.records.versioning import create_record
    from server.regions.models import Region
    from server.users.operations import create_user

    county = create_record(Region(code="510822", name="巴山县", level="county"), None)
    village = create_record(Region(code="510822101201", name="石桥村", level="village",
                                   parent_id=county.id), None)
    user = create_user(username="liaison1", password="Lianxin-bench-2026", role="liaison",
                       region_id=village.id)
    db.session.commit()
    return user.id


def _store_as_before(uploader):
    """The sample written as the old code did: each photo's bytes in ``attachment.data``."""
    old = sa.table("attachment", sa.column("id", sa.Uuid), sa.column("data", sa.LargeBinary),
                   sa.column("created_at", sa.DateTime(timezone=True)),
                   *(sa.column(name) for name in ("sha256", "content_type", "size",
                                                  "uploaded_by_id")))
    now = dt.datetime.now(dt.UTC)
    stored = 0
    batch = []
    for data in phone_photos(SAMPLE):
        batch.append({"id": uuid.uuid4(), "data": data, "sha256": "0" * 64,
                      "content_type": "image/jpeg", "size": len(data),
                      "uploaded_by_id": uploader, "created_at": now})
        stored += len(data)
        if len(batch) == INSERT_BATCH:
            db.session.execute(old.insert(), batch)
            db.session.commit()
            batch = []
    if batch:
        db.session.execute(old.insert(), batch)
        db.session.commit()
    return stored


def _disk_usage(folder):
    files = [path for path in Path(folder).rglob("*") if path.is_file()]
    return len(files), sum(path.stat().st_blocks * 512 for path in files)


def _line(label, sample, per_photo=None):
    scaled = "" if per_photo is None else (
        f"   → county month {per_photo * MONTH_PHOTOS / MB:>9,.1f} MB"
        f", a year {per_photo * MONTH_PHOTOS * 12 / MB / 1024:>6,.2f} GB")
    print(f"  {label:<44} {sample / MB:>9,.1f} MB{scaled}")


def run(tmpdir):
    from flask_migrate import upgrade

    logging.disable(logging.INFO)  # alembic announces each revision
    print("\n== photos out of the database: PostgreSQL size for a county month of photos ==")
    print(f"  county month: {VISITS_PER_MONTH:,} visits × {PHOTO_SHARE:.0%} with "
          f"{PHOTOS_PER_VISIT} photo = {MONTH_PHOTOS:,} photos; measured on a sample of "
          f"{SAMPLE:,}, scaled (→) by {MONTH_PHOTOS / SAMPLE:.2f}")
    photo_dir = Path(tmpdir) / f"photos-{uuid.uuid4().hex[:8]}"
    began = time.perf_counter()
    with harness.database("postgresql", tmpdir) as url:
        app = create_app({**harness.SECRETS, "TESTING": True, "RATELIMIT_ENABLED": False,
                          "SQLALCHEMY_DATABASE_URI": url, "LIANXIN_TZ": "Asia/Shanghai",
                          "LIANXIN_PHOTO_DIR": str(photo_dir)})
        with app.app_context():
            upgrade(revision="0014_outreach")  # the schema that kept photos in the database
            uploader = _uploader()
            empty = _sizes()
            stored = _store_as_before(uploader)
            db.session.execute(sa.text("ANALYZE attachment"))
            db.session.commit()
            before = _sizes()
            migrating = time.perf_counter()
            upgrade(revision="heads")  # 0015_photo_files: the bytes go to the photo store
            migrated = time.perf_counter() - migrating
            dropped = _sizes()
            db.session.remove()
            with db.engine.connect() as connection:
                connection.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql(
                    "VACUUM FULL attachment")
            after = _sizes()
            db.session.remove()
            db.engine.dispose()
    logging.disable(logging.NOTSET)
    files, on_disk = _disk_usage(photo_dir)

    print(f"  sample: {SAMPLE:,} photos, mean {stored / SAMPLE / 1024:,.0f} kB "
          f"({stored / MB:,.1f} MB of photo bytes)")
    print("  measured on the sample (left) | extrapolated to the county (→):")
    growth_before = before["attachment"] - empty["attachment"]
    growth_after = after["attachment"] - empty["attachment"]
    _line("before: attachment table (bytes in the rows)", growth_before, growth_before / SAMPLE)
    _line("after:  attachment table (metadata only)", growth_after, growth_after / SAMPLE)
    _line("after:  photo store files (on disk)", on_disk, on_disk / SAMPLE)
    _line("whole database before (incl. empty schema)", before["database"])
    _line("whole database after 0015, before VACUUM FULL", dropped["database"])
    _line("whole database after VACUUM FULL attachment", after["database"])
    print(f"  photo store: {files:,} files for {SAMPLE:,} photos; migration 0015 moved them "
          f"in {migrated:.1f} s ({SAMPLE / migrated:,.0f} photos/s → a county month "
          f"{MONTH_PHOTOS / (SAMPLE / migrated):,.0f} s)")
    print(f"  database bytes per photo: before {growth_before / SAMPLE:,.0f}, after "
          f"{growth_after / SAMPLE:,.0f} ({growth_before / max(growth_after, 1):,.0f}× less); "
          f"bench took {time.perf_counter() - began:.0f} s")


if __name__ == "__main__":  # python -m bench.photo_bench
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        run(folder)
