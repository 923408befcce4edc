"""Write pwa/src/entity-fields.json: the fields a phone may send per entity, from the
server's entity declarations (server/sync/entity_map.py). Run by `make pwa`."""

import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from server import create_app  # noqa: E402
from server.sync.entity_map import render  # noqa: E402

CONFIG = {"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://",
          "LIANXIN_DATA_KEY": "entity-map", "JWT_SECRET_KEY": "entity-map-" * 4}

if __name__ == "__main__":
    with create_app(CONFIG).app_context():
        text = render()
    target = ROOT / "pwa" / "src" / "entity-fields.json"
    if not target.exists() or target.read_text(encoding="utf-8") != text:
        target.write_text(text, encoding="utf-8")
        print(f"wrote {target.relative_to(ROOT)}")
