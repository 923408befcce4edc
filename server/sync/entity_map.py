"""The PWA's entity map, derived from the declarations (server/records/entities.py).

``pwa/src/entity-fields.json`` is this map, written at build time by
``pwa/scripts/entity_fields.py`` (``make pwa`` runs it before the build);
tests/test_architecture.py fails when the committed file and the declarations differ.
"""

import json


def entity_map():
    """{entity: {"fields": the fields a phone may send, "writable": made on phones}}, in
    wire order."""
    from .entities import registry

    return {name: {"fields": list(entity.phone_fields), "writable": entity.writable}
            for name, entity in registry().items()}


def render():
    return json.dumps(entity_map(), ensure_ascii=False, indent=2) + "\n"
