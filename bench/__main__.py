"""`make bench`: every benchmark, one after another, printing figures."""

import os
import subprocess
import sys
import tempfile

from . import (
    export_bench,
    fault_bench,
    fuzz_bench,
    load_bench,
    pwa_bench,
    roster,
    sync_bench,
    tasks_bench,
    visit_day,
)


def hypothesis_long_run():
    """The sync state machine with many more examples than CI runs."""
    print("\n== sync model (Hypothesis), 500 examples per backend ==")
    env = {**os.environ, "HYPOTHESIS_PROFILE": "bench",
           "TEST_DATABASE_URL": os.environ.get("TEST_DATABASE_URL", sync_bench.harness.PG_ADMIN)}
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:logging",
                             "tests/test_sync_model.py"], env=env, capture_output=True, text=True)
    print(result.stdout.strip().splitlines()[-1] if result.stdout.strip() else result.stderr[-500:])


def main():
    with tempfile.TemporaryDirectory() as tmpdir:
        pwa_bench.run(tmpdir)
        sync_bench.run(tmpdir, "postgresql")
        visit_day.run(tmpdir, "postgresql")  # with Kinto beside it and the floor
        visit_day.run(tmpdir, "sqlite")
        tasks_bench.run(tmpdir, "postgresql")
        tasks_bench.run(tmpdir, "sqlite")
        roster.run(tmpdir, "postgresql")
        roster.run(tmpdir, "sqlite")
        export_bench.run(tmpdir)
        load_bench.run(tmpdir)
        fault_bench.run(tmpdir)
        fuzz_bench.run(tmpdir)
    hypothesis_long_run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
