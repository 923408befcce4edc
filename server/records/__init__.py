"""The records layer: how every write of a synced record is kept.

Versioning (server/records/versioning.py: version, field versions, UTC stamps), the
audit log (audit.py), the change log pulls read (changelog.py, with each record's wire
text: wire.py) and the declarations of the synced entities (entities.py). Domains
write through it; it imports nothing above it (docs/architecture.md).
"""
