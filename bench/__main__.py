"""`make bench`: every benchmark, one after another, printing figures."""

import sys
import tempfile

from . import sync_bench


def main():
    with tempfile.TemporaryDirectory() as tmpdir:
        sync_bench.run(tmpdir, "postgresql")
    return 0


if __name__ == "__main__":
    sys.exit(main())
