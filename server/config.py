"""Configuration read from the environment, with secrets kept under instance/.

Secrets that are not given in the environment are generated once and written
to ``instance/secrets.json`` (mode 0600), so a restart keeps the same keys and
encrypted ID numbers stay readable.
"""

import base64
import json
import os
import secrets
from datetime import timedelta
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
INSTANCE_DIR = PROJECT_ROOT / "instance"

_SECRET_NAMES = ("SECRET_KEY", "JWT_SECRET_KEY", "LIANXIN_DATA_KEY")


def _new_secret(name):
    if name == "LIANXIN_DATA_KEY":
        return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()
    return secrets.token_urlsafe(48)


def load_instance_secrets(instance_dir=INSTANCE_DIR):
    """Return the secrets from the environment, creating missing ones on disk."""
    path = Path(instance_dir) / "secrets.json"
    stored = json.loads(path.read_text()) if path.exists() else {}
    missing = [n for n in _SECRET_NAMES if not os.environ.get(n) and n not in stored]
    if missing:
        for name in missing:
            stored[name] = _new_secret(name)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(stored, indent=2))
        path.chmod(0o600)
    return {n: os.environ.get(n) or stored[n] for n in _SECRET_NAMES}


def resolve_database_url(url):
    """Make a relative SQLite path relative to the project root, not the cwd."""
    prefix = "sqlite:///"
    if url.startswith(prefix) and not url.startswith(prefix + "/") and url != "sqlite://":
        path = url[len(prefix):]
        if path and path != ":memory:":
            absolute = PROJECT_ROOT / path
            absolute.parent.mkdir(parents=True, exist_ok=True)
            return prefix + str(absolute)
    return url


def _int_env(name, default):
    return int(os.environ.get(name, default))


def from_environment():
    """The configuration of a running server."""
    secrets_ = load_instance_secrets()
    return {
        **secrets_,
        "SQLALCHEMY_DATABASE_URI": resolve_database_url(
            os.environ.get("DATABASE_URL", "sqlite:///instance/lianxin.db")
        ),
        "LIANXIN_TZ": os.environ.get("LIANXIN_TZ", "Asia/Shanghai"),
        "LIANXIN_VISIT_DAY": _int_env("LIANXIN_VISIT_DAY", 18),
        "JWT_ACCESS_TOKEN_EXPIRES": timedelta(
            minutes=_int_env("LIANXIN_ACCESS_MINUTES", 15)
        ),
        "JWT_REFRESH_TOKEN_EXPIRES": timedelta(days=_int_env("LIANXIN_REFRESH_DAYS", 30)),
        "LIANXIN_LOCKOUT_ATTEMPTS": _int_env("LIANXIN_LOCKOUT_ATTEMPTS", 5),
        "LIANXIN_LOCKOUT_MINUTES": _int_env("LIANXIN_LOCKOUT_MINUTES", 15),
        "LIANXIN_DEMO_PASSWORD": os.environ.get("LIANXIN_DEMO_PASSWORD", "Lianxin-demo-2026"),
    }


# Settings that do not depend on the environment.
STATIC = {
    "API_TITLE": "连心 Lianxin API",
    "API_VERSION": "v1",
    "OPENAPI_VERSION": "3.0.3",
    "OPENAPI_URL_PREFIX": "/api/v1",
    "OPENAPI_JSON_PATH": "openapi.json",
    "JSON_SORT_KEYS": False,
    "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
    "JWT_TOKEN_LOCATION": ["headers"],
    "JWT_ERROR_MESSAGE_KEY": "detail",
    "RATELIMIT_HEADERS_ENABLED": True,
    "RATELIMIT_STORAGE_URI": "memory://",
    "MAX_CONTENT_LENGTH": 6 * 1024 * 1024,
}
