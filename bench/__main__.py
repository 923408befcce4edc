"""`make bench`: every benchmark, one after another, printing figures."""

import sys
import tempfile

from . import export_bench, sync_bench


def main():
    with tempfile.TemporaryDirectory() as tmpdir:
        sync_bench.run(tmpdir, "postgresql")
        export_bench.run(tmpdir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
