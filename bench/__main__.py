"""`make bench`: every benchmark, one after another, printing figures."""

import os
import subprocess
import sys
import tempfile

from . import (
    export_bench,
    fault_bench,
    fuzz_bench,
    growth_bench,
    library_bench,
    load_bench,
    photo_bench,
    pwa_bench,
    roster,
    shape_bench,
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


def machine_reference():
    """A fixed piece of pure-Python work, timed: the figures below are this machine's, and
    machines of the same kind differ (the same import took 83 s on one and 135 s on one
    whose reference was 1.0 s); compare figures across runs by this line first."""
    import time

    began = time.perf_counter()
    total = 0
    for step in range(10_000_000):
        total += step
    seconds = time.perf_counter() - began
    print(f"== this machine: {os.cpu_count()} cores, load average "
          + " ".join(f"{load:.2f}" for load in os.getloadavg())
          + f"; reference: a 10,000,000-step Python loop takes {seconds:.2f} s ==")


def main():
    machine_reference()
    with tempfile.TemporaryDirectory() as tmpdir:
        pwa_bench.run(tmpdir)
        sync_bench.run(tmpdir, "postgresql")
        library_bench.run(tmpdir, "postgresql")
        visit_day.run(tmpdir, "postgresql")  # with Kinto beside it and the floor
        visit_day.run(tmpdir, "sqlite")
        shape_bench.run(tmpdir)
        growth_bench.run(tmpdir)
        tasks_bench.run(tmpdir, "postgresql")
        tasks_bench.run(tmpdir, "sqlite")
        roster.run(tmpdir, "postgresql")
        roster.run(tmpdir, "sqlite")
        export_bench.run(tmpdir)
        photo_bench.run(tmpdir)
        load_bench.run(tmpdir)
        fault_bench.run(tmpdir)
        fuzz_bench.run(tmpdir)
    hypothesis_long_run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
