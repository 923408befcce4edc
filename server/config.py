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
# The public address a fresh install starts with: this machine only, never a printed QR code.
LOOPBACK_PUBLIC_BASE_URL = "http://127.0.0.1:5000"

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


# Scheduled work (server/jobs): defaults that tests and servers share. Each may be
# overridden by the environment variable of the same name.
JOB_DEFAULTS = {
    # "inprocess" starts the scheduler inside the web app (``make run``); anything
    # else leaves it to ``flask --app server jobs run``.
    "LIANXIN_SCHEDULER": "off",
    "LIANXIN_OVERDUE_GRACE_DAYS": 3,
    "LIANXIN_SICK_REVISIT_DAYS": 7,
    "LIANXIN_MEDIATION_STALE_DAYS": 14,
    "LIANXIN_FEEDBACK_REMIND_DAYS": 3,
    "LIANXIN_SYNC_RETENTION_DAYS": 180,
    "LIANXIN_BACKUP_DIR": str(INSTANCE_DIR / "backups"),
    "LIANXIN_BACKUP_KEEP": 14,
    "LIANXIN_NOTIFICATION_SENDERS": "in_app",
    # photos: what one user may upload in 24 hours, and how long a photo no visit lists
    # is kept before the purge (a visit may arrive after its photos)
    "LIANXIN_PHOTO_QUOTA_MB": 200,
    "LIANXIN_PHOTO_ORPHAN_DAYS": 30,
    # the photo files (server/visits/photos.py): with several app hosts, one folder they
    # all mount (docs/deploy.md)
    "LIANXIN_PHOTO_DIR": str(INSTANCE_DIR / "photos"),
    # roster imports (server/roster): the largest upload, and the most rows one file may
    # hold (a county's 118,000 people fit in one)
    "LIANXIN_ROSTER_MAX_BYTES": 50 * 1024 * 1024,
    "LIANXIN_ROSTER_MAX_ROWS": 150_000,
}


def _job_settings():
    settings = {
        name: _int_env(name, default) if isinstance(default, int) else os.environ.get(name, default)
        for name, default in JOB_DEFAULTS.items()
    }
    return settings


def _feedback_environment():
    """The migrant feedback settings given in the environment (defaults in STATIC)."""
    values = {}
    if os.environ.get("LIANXIN_HOTLINES"):
        values["LIANXIN_HOTLINES"] = json.loads(os.environ["LIANXIN_HOTLINES"])
    if os.environ.get("LIANXIN_PUBLIC_BASE_URL"):
        values["LIANXIN_PUBLIC_BASE_URL"] = os.environ["LIANXIN_PUBLIC_BASE_URL"]
    if os.environ.get("LIANXIN_QUICK_PHRASES"):
        values["LIANXIN_QUICK_PHRASES"] = json.loads(os.environ["LIANXIN_QUICK_PHRASES"])
    if os.environ.get("LIANXIN_SERVICES"):
        values["LIANXIN_SERVICES"] = json.loads(os.environ["LIANXIN_SERVICES"])
    if os.environ.get("LIANXIN_ENROLL_DAYS"):
        values["LIANXIN_ENROLL_DAYS"] = _int_env("LIANXIN_ENROLL_DAYS", 7)
    if os.environ.get("LIANXIN_FEEDBACK_DAYS"):
        values["LIANXIN_FEEDBACK_DAYS"] = _int_env("LIANXIN_FEEDBACK_DAYS", 15)
    return values


def from_environment():
    """The configuration of a running server."""
    secrets_ = load_instance_secrets()
    return {
        **secrets_,
        "SQLALCHEMY_DATABASE_URI": resolve_database_url(
            os.environ.get("DATABASE_URL", "sqlite:///instance/lianxin.db")
        ),
        "LIANXIN_TZ": os.environ.get("LIANXIN_TZ", "Asia/Shanghai"),
        # "now" for every rule (server.common.timeutil.utcnow): None is the system clock;
        # tests set a callable so that no test depends on the calendar
        "LIANXIN_CLOCK": None,
        "LIANXIN_VISIT_DAY": _int_env("LIANXIN_VISIT_DAY", 18),
        "JWT_ACCESS_TOKEN_EXPIRES": timedelta(
            minutes=_int_env("LIANXIN_ACCESS_MINUTES", 15)
        ),
        "JWT_REFRESH_TOKEN_EXPIRES": timedelta(days=_int_env("LIANXIN_REFRESH_DAYS", 30)),
        "LIANXIN_LOCKOUT_ATTEMPTS": _int_env("LIANXIN_LOCKOUT_ATTEMPTS", 5),
        "LIANXIN_LOCKOUT_MINUTES": _int_env("LIANXIN_LOCKOUT_MINUTES", 15),
        "LIANXIN_LOGIN_ACCOUNT_FAILURES": _int_env("LIANXIN_LOGIN_ACCOUNT_FAILURES", 20),
        # Words a password may not be made of, besides the product's and the county's
        # names (comma-separated): e.g. the county's name in pinyin.
        "LIANXIN_PASSWORD_WORDS": [
            word.strip() for word in os.environ.get("LIANXIN_PASSWORD_WORDS", "").split(",")
            if word.strip()],
        "LIANXIN_STAFF_IDLE_MINUTES": _int_env("LIANXIN_STAFF_IDLE_MINUTES", 30),
        # Where Flask-Limiter counts requests. memory:// counts per gunicorn worker;
        # e.g. redis://host:6379 or memcached://host:11211 shares the counts (the
        # client library — redis, pymemcache — must then be installed).
        "RATELIMIT_STORAGE_URI": os.environ.get("LIANXIN_RATELIMIT_STORAGE_URI") or "memory://",
        "LIANXIN_DEMO_PASSWORD": os.environ.get("LIANXIN_DEMO_PASSWORD", "Lianxin-demo-2026"),
        "LIANXIN_PROXY_HOPS": _int_env("LIANXIN_PROXY_HOPS", 0),
        **_feedback_environment(),
        **_job_settings(),
    }


# Settings that do not depend on the environment.
STATIC = {
    "API_TITLE": "连心 Lianxin API",
    "API_VERSION": "v1",
    "OPENAPI_VERSION": "3.0.3",
    "OPENAPI_URL_PREFIX": "/api/v1",
    "OPENAPI_JSON_PATH": "openapi.json",
    "JSON_SORT_KEYS": False,
    # hide_parameters: a database error's message (logged when the database is down)
    # names the statement but not its values - visit summaries, names, ID hashes.
    "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True, "hide_parameters": True},
    "JWT_TOKEN_LOCATION": ["headers"],
    "JWT_ERROR_MESSAGE_KEY": "detail",
    "RATELIMIT_HEADERS_ENABLED": True,
    "RATELIMIT_STORAGE_URI": "memory://",
    # A shared store (redis, memcached) that cannot be reached: count in this process's
    # memory meanwhile, rather than answer every login and feedback form with a 500.
    "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
    # Wrong passwords (server/users/throttle.py, counted in the same store): this many
    # per account and address within LIANXIN_LOCKOUT_MINUTES refuse that address for
    # that account; this many per account from all addresses slow every address to one
    # attempt a minute.
    "LIANXIN_LOCKOUT_ATTEMPTS": 5,
    "LIANXIN_LOCKOUT_MINUTES": 15,
    "LIANXIN_LOGIN_ACCOUNT_FAILURES": 20,
    "LIANXIN_PASSWORD_WORDS": [],
    # Staff sessions end after this many minutes without a request (0: never); liaisons
    # are exempt (docs/security.md).
    "LIANXIN_STAFF_IDLE_MINUTES": 30,
    "MAX_CONTENT_LENGTH": 6 * 1024 * 1024,
    # A policy's PDF (server/policies/operations.py); its upload may be this large.
    "LIANXIN_POLICY_PDF_MAX_BYTES": 10 * 1024 * 1024,
    # "该身份证号已登记" answers per user within the period, beyond which the user may
    # write no ID number until it has passed (server/beneficiaries/operations.py).
    "LIANXIN_ID_TAKEN_LIMIT": 5,
    "LIANXIN_ID_TAKEN_HOURS": 24,
    # 常用语 a liaison taps into 走访情况, per visit type; the county's own with
    # LIANXIN_QUICK_PHRASES='{"monthly": ["…", …], …}' (sent by GET /meta/settings).
    "LIANXIN_QUICK_PHRASES": {
        "monthly": ["身体状况良好", "生活稳定，无特殊困难", "已宣传优抚政策", "家中有人照料",
                    "反映的问题已记录，将向上反映"],
        "sick": ["已送去慰问品", "病情稳定", "正在住院治疗", "已告知医疗救助政策"],
        "hardship": ["已登记困难情况", "已联系结对干部", "已申请临时救助"],
        "mediation": ["双方已到场", "已达成初步一致", "需再次调解"],
        "good_news": ["喜报已送达家中", "家属十分高兴"],
    },
    # 便民服务 a visit may record as done for the person: the county's own list with
    # LIANXIN_SERVICES='[{"code": "…", "label": "…"}, …]' (sent by GET /meta/settings).
    # A code once used should stay in the list: visits keep the codes they recorded.
    "LIANXIN_SERVICES": [
        {"code": "certificate", "label": "代办证件"},
        {"code": "form", "label": "代填表格"},
        {"code": "medicine", "label": "代购药品"},
        {"code": "repair", "label": "联系维修"},
        {"code": "payment", "label": "代缴费用"},
        {"code": "hospital", "label": "协助就医"},
        {"code": "other", "label": "其他服务"},
    ],
    # --- migrants: the 连心卡 and the public feedback form (docs/feedback.md) ---
    # Printed on every card; override with LIANXIN_HOTLINES='[{"label": …, "number": …}, …]'.
    "LIANXIN_HOTLINES": [
        {"label": "县民政局局长", "number": "0839-8000001"},
        {"label": "优抚股", "number": "0839-8000002"},
        {"label": "维权办", "number": "0839-8000003"},
        {"label": "广州救助维权中心", "number": "020-80000001"},
        {"label": "上海救助维权中心", "number": "021-60000001"},
    ],
    # The address the QR codes on printed cards point at. Cards are not printed while it
    # is still this loopback default (server/contacts/printing.py).
    "LIANXIN_PUBLIC_BASE_URL": LOOPBACK_PUBLIC_BASE_URL,
    "LIANXIN_FEEDBACK_DAYS": 15,  # 限时办结: days from receipt to the reply
    # A printed enrollment slip (a liaison's one-time QR login) is valid this many days.
    "LIANXIN_ENROLL_DAYS": 7,
    # Per address: a ceiling for a flood from one place, high enough for a dormitory's
    # Wi-Fi or a carrier's NAT (many people, one address). What stops a script is the
    # single-use stamp, the fill time, and the per-card and per-phone limits.
    "LIANXIN_FEEDBACK_IP_LIMIT": "20 per minute;300 per day",
    "LIANXIN_FEEDBACK_TOKEN_LIMIT": "10 per day",
    "LIANXIN_FEEDBACK_STATUS_LIMIT": "60 per minute;1000 per day",
    # Status look-ups per phone number, from any address: a known phone's receipts
    # (a million a day) cannot be walked through.
    "LIANXIN_FEEDBACK_LOOKUP_PHONE_LIMIT": "10 per hour;30 per day",
    # A form sent sooner than this after it was shown is shown again, its text kept.
    "LIANXIN_FEEDBACK_MIN_SECONDS": 3,
    # --- scheduled work (server/jobs) ---
    **JOB_DEFAULTS,
}
