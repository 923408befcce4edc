"""A county's roster imported through the fixed CLI (issue 18: bulk paths that scale).

Workload: an empty county of the seed's shape (43 townships, 528 villages, no people)
and a generated roster of ``BENCH_ROSTER_ROWS`` people (118,000 by default), written
with openpyxl's write-only mode as a clerk's workbook looks (a title row above the
header, the template's columns, the ID column as text, villages by code). Three runs of
``flask roster import`` in processes of their own, as an operator runs them:

* the dry run (``--dry-run``): every row checked, nothing written — target ≤ 60 s;
* the import into the empty county: everyone created, with their change-log and audit
  rows and this month's visit tasks — target ≤ 60 s;
* the re-import of the same file: everyone matched and found unchanged — target ≤ 30 s,
  and it must change nothing (no person's version, no change row, no audit row but the
  import's own).

Prints the seconds, the per-row cost and the peak memory of the import processes
(their maximum resident set size), on PostgreSQL and SQLite.
"""

import json
import os
import random
import resource
import time
from datetime import date, timedelta

import sqlalchemy as sa

from . import harness

ROWS = int(os.environ.get("BENCH_ROSTER_ROWS", 118_000))
TOWNSHIPS, VILLAGES = 43, 528
TARGETS = {"dry run": 60, "import": 60, "re-import": 30}
CATEGORIES = ("在乡老复员军人", "伤残军人", "烈士遗属", "退役士兵", "病故军人遗属", "带病回乡退伍军人")
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "国建秀英军华明强芳兰德福海平志金玉春"


def build_county(url):
    """The county's region tree (no people), written through the app's own create_record."""
    saved = dict(os.environ)
    os.environ.update({**harness.SECRETS, "DATABASE_URL": url})
    try:
        from server import create_app
        from server.extensions import db
        from server.records.versioning import create_record
        from server.regions.models import Region

        app = create_app({"SQLALCHEMY_DATABASE_URI": url})
        with app.app_context():
            county = create_record(Region(code="510822", name="巴山县", level="county"), None)
            codes = []
            per = [VILLAGES // TOWNSHIPS + (1 if i < VILLAGES % TOWNSHIPS else 0)
                   for i in range(TOWNSHIPS)]
            for t, count in enumerate(per):
                code = f"510822{100 + t + 1:03d}"
                township = create_record(Region(code=code, name=f"第{t + 1}镇", level="township",
                                                parent_id=county.id), None)
                for v in range(count):
                    village = f"{code}{200 + v + 1}"
                    create_record(Region(code=village, name=f"第{t + 1}镇{v + 1}村",
                                         level="village", parent_id=township.id), None)
                    codes.append(village)
            db.session.commit()
            db.session.remove()
            db.engine.dispose()
        return codes
    finally:
        os.environ.clear()
        os.environ.update(saved)


def write_roster(path, village_codes, rows=ROWS, seed=18):
    """A clerk's roster of ``rows`` people, streamed into the workbook."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    from server.common.idnumbers import IdNumber
    from server.roster.columns import BY_KEY, TEMPLATE_KEYS

    rng = random.Random(seed)
    book = Workbook(write_only=True)
    sheet = book.create_sheet("花名册")
    sheet.append(["巴山县优抚对象花名册"])
    sheet.append([BY_KEY[key].label for key in TEMPLATE_KEYS])
    start = date(1930, 1, 1)
    for index in range(rows):
        # each thousand rows born in a 200-day span of their own, so (birth date,
        # sequence) - the number - is never repeated
        birth = start + timedelta(days=index // 1000 * 200 + rng.randrange(200))
        number = IdNumber.compose("510822", birth, index % 1000).digits
        category = rng.choice(CATEGORIES)
        id_cell = WriteOnlyCell(sheet, number)
        id_cell.number_format = "@"
        sheet.append([
            rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN),
            "男" if (index % 1000) % 2 else "女", id_cell, birth.isoformat(), category,
            rng.randint(1, 10) if category == "伤残军人" else None,
            rng.choice(village_codes), f"13{rng.randrange(10 ** 9):09d}",
            f"{rng.randint(1, 12)}组{rng.randint(1, 80)}号",
            "否", None,
        ])
    book.save(path)


def _state(url):
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        state = {name: connection.scalar(sa.text(sql)) for name, sql in {
            "people": "SELECT count(*) FROM beneficiary",
            "versions": "SELECT coalesce(sum(version), 0) FROM beneficiary",
            "changes": "SELECT count(*) FROM sync_change",
            "audit": "SELECT count(*) FROM audit_log",
            "tasks": "SELECT count(*) FROM visit_task",
        }.items()}
    engine.dispose()
    return state


def _children_cpu():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _import(url, path, *flags):
    """(wall seconds, the process's CPU seconds, its --json summary)."""
    cpu = _children_cpu()
    began = time.perf_counter()
    env = {**os.environ, **harness.SECRETS, "DATABASE_URL": url}
    import subprocess

    result = subprocess.run([str(harness.BIN / "flask"), "--app", "server", "roster", "import",
                             str(path), *flags, "--json"], cwd=harness.ROOT, env=env,
                            capture_output=True, text=True)
    seconds = time.perf_counter() - began
    if result.returncode not in (0, 1):
        raise RuntimeError(result.stderr[-2000:])
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    return seconds, _children_cpu() - cpu, summary


def _peak_mb():
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def run(tmpdir, kind="postgresql", rows=ROWS):
    print(f"\n== roster import: {rows:,} rows into an empty county of {VILLAGES} villages ({kind}) ==")
    print("load average before: " + " ".join(f"{load:.2f}" for load in os.getloadavg()))
    with harness.database(kind, tmpdir) as url:
        harness.flask(["db", "upgrade"], url)
        codes = build_county(url)
        path = os.path.join(tmpdir, f"roster-{kind}.xlsx")
        began = time.perf_counter()
        write_roster(path, codes, rows)
        print(f"roster written (openpyxl write-only): {time.perf_counter() - began:.1f} s, "
              f"{os.path.getsize(path) / 1e6:.1f} MB")
        figures = {}
        empty = _state(url)
        figures["dry run"] = _import(url, path, "--dry-run")
        assert _state(url) == empty, "the dry run changed the database"
        figures["import"] = _import(url, path)
        imported = _state(url)
        figures["re-import"] = _import(url, path)
        again = _state(url)
        for name, (seconds, cpu, summary) in figures.items():
            counts = ", ".join(f"{key} {summary[key]:,}" for key in ("created", "updated", "unchanged"))
            print(f"{name:<10} {seconds:6.1f} s  ({seconds / rows * 1000:.2f} ms a row; "
                  f"target ≤ {TARGETS[name]} s at 118,000 rows; the process's CPU {cpu:.1f} s)  "
                  f"{counts}, errors {len(summary['errors']):,}")
        print(f"after the import: {imported['people']:,} people, {imported['tasks']:,} visit tasks, "
              f"{imported['changes']:,} change rows, {imported['audit']:,} audit rows")
        unchanged = {**imported, "audit": imported["audit"] + 1} == again
        print(f"re-import changed nothing: {'yes' if unchanged else 'NO'} "
              f"(versions {imported['versions']:,} → {again['versions']:,}, change rows "
              f"{imported['changes']:,} → {again['changes']:,}, audit rows "
              f"{imported['audit']:,} → {again['audit']:,}: the import's own row)")
        print(f"peak memory of an import process: {_peak_mb():.0f} MB; load average after: "
              + " ".join(f"{load:.2f}" for load in os.getloadavg()))
