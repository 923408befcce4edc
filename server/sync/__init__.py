"""The offline sync protocol of shared/docs/SYNC.md: push, pull, attachments, conflicts.

See docs/sync.md for the design: per-scope counters that order changes by
commit, a compacted change log, per-client mutation logs for exactly-once
pushes, and field-level merge.
"""
