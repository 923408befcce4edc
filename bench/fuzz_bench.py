"""API fuzzing (schemathesis), a longer run than CI's (issue 9: reliability and security).

tests/test_fuzz.py with many more examples: every operation of the OpenAPI
description for each demo role and anonymously, then stateful chains per
identity, on SQLite and PostgreSQL. Prints the cases run, the failures, and the
time taken. Reproduce one with the seed in tests/test_fuzz.py:

    LIANXIN_FUZZ_EXAMPLES=100 .venv/bin/pytest tests/test_fuzz.py -k "liaison1 and visits"
"""

import json
import os
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from . import harness

EXAMPLES = int(os.environ.get("BENCH_FUZZ_EXAMPLES", "100"))
SCENARIOS = int(os.environ.get("BENCH_FUZZ_SCENARIOS", "100"))
STEPS = int(os.environ.get("BENCH_FUZZ_STEPS", "20"))


def run(tmpdir):
    print(f"\n== API fuzzing (schemathesis): {EXAMPLES} examples per operation and identity, "
          f"{SCENARIOS} stateful scenarios of ≤ {STEPS} steps, SQLite and PostgreSQL ==")
    report = Path(tmpdir) / "fuzz-cases.jsonl"
    report.unlink(missing_ok=True)
    env = {
        **os.environ,
        "LIANXIN_FUZZ_EXAMPLES": str(EXAMPLES),
        "LIANXIN_FUZZ_SCENARIOS": str(SCENARIOS),
        "LIANXIN_FUZZ_STEPS": str(STEPS),
        "LIANXIN_FUZZ_REPORT": str(report),
        "TEST_DATABASE_URL": os.environ.get("TEST_DATABASE_URL", harness.PG_ADMIN),
    }
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:logging", "-p", "no:cacheprovider",
         "tests/test_fuzz.py"],
        env=env, capture_output=True, text=True,
    )
    seconds = time.perf_counter() - started
    cases = Counter()
    if report.exists():
        for line in report.read_text(encoding="utf-8").splitlines():
            cases.update(json.loads(line))
    lines = result.stdout.strip().splitlines()
    failed = [line for line in lines if line.startswith(("FAILED", "ERROR"))]
    print(f"cases run: {sum(cases.values())} ({cases['stateless']} single requests, "
          f"{cases['stateful']} stateful steps) in {seconds:.0f} s")
    print(f"failures: {len(failed)}")
    for line in failed:
        print(f"  {line}")
    print(lines[-1] if lines else result.stderr[-500:])
    return {"cases": sum(cases.values()), "failures": len(failed), "seconds": seconds}
