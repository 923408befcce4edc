"""Serving the built PWA (pwa/dist) at ``/``.

The files of pwa/dist are served by WhiteNoise, in front of Flask: it answers with
the brotli or gzip copy `make pwa` wrote beside each file (``python -m
whitenoise.compress``) when the browser accepts it, with ``Vary: Accept-Encoding``,
an ETag and 304s — so `make run` and a bare gunicorn send what the size budget
counts. The service worker and the page must be fetched fresh on every check so
updates are found (no-cache); hashed assets never change, so they are immutable.
Any other path that is not the API (nor the public feedback form under /f/,
server/feedback/public.py) reaches Flask and falls back to the app shell, which
routes on the client.
"""

import re
from pathlib import Path

from flask import Blueprint, Response, current_app, send_from_directory
from werkzeug.exceptions import NotFound
from whitenoise import WhiteNoise

from .config import PROJECT_ROOT

blp = Blueprint("web", __name__)

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; "
    "connect-src 'self'; worker-src 'self'; manifest-src 'self'; object-src 'none'; "
    "base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
NOT_BUILT = (
    "<!doctype html><meta charset=utf-8><title>连心</title>"
    "<p>前端尚未构建。请在项目目录运行 <code>make run</code>。</p>"
)


IMMUTABLE = re.compile(r"^/assets/")  # Vite's hashed file names
WORKERS = ("/sw.js", "/service-worker.js")


def dist_dir(app=None):
    config = (app or current_app).config
    return Path(config.get("LIANXIN_PWA_DIST", PROJECT_ROOT / "pwa" / "dist"))


def security_headers(headers, is_html):
    """The headers every answer carries (Flask's and WhiteNoise's alike)."""
    if is_html:
        headers.setdefault("Content-Security-Policy", CSP)
        headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "no-referrer")


def _static_headers(headers, path, url):
    # WhiteNoise answers before Flask, so Flask's after_request never sees these.
    if not IMMUTABLE.search(url):
        headers["Cache-Control"] = "no-cache"
    if url in WORKERS:
        headers["Service-Worker-Allowed"] = "/"
    security_headers(headers, (headers.get("Content-Type") or "").startswith("text/html"))


def serve_dist(app):
    """Wraps the app in WhiteNoise serving pwa/dist at ``/``.

    It reads the file list once at start (a rebuilt dist needs a restart) unless the
    dist is not built yet or the app runs in debug, when it looks on every request.
    """
    dist = dist_dir(app)
    refresh = bool(app.debug or not dist.is_dir())
    # Same-origin only: the app's files are for its own pages (WhiteNoise allows any by default).
    app.wsgi_app = WhiteNoise(app.wsgi_app, autorefresh=refresh, max_age=0, allow_all_origins=False,
                              immutable_file_test=IMMUTABLE.pattern,
                              add_headers_function=_static_headers)
    app.wsgi_app.add_files(str(dist), prefix="/")


def _shell():
    if not (dist_dir() / "index.html").exists():
        return Response(NOT_BUILT, status=503, mimetype="text/html")
    response = send_from_directory(dist_dir(), "index.html", max_age=0)
    response.headers["Cache-Control"] = "no-cache"
    return response


@blp.route("/")
def index():
    return _shell()


@blp.route("/<path:path>")
def static_or_shell(path):
    if path.startswith("api/"):
        raise NotFound()
    target = dist_dir() / path
    if target.is_file():
        immutable = path.startswith("assets/")
        response = send_from_directory(dist_dir(), path, max_age=31536000 if immutable else 0)
        if immutable:
            response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
        else:
            response.headers["Cache-Control"] = "no-cache"
        if path in ("sw.js", "service-worker.js"):
            response.headers["Service-Worker-Allowed"] = "/"
        return response
    if "." in path.rsplit("/", 1)[-1]:
        raise NotFound()  # a missing file, not a client route
    return _shell()


def init_app(app):
    from .feedback import public as public_feedback
    from .policies import public as public_policies

    # /f/… is the migrants' feedback form: its rules are more specific than the
    # catch-all below, so Flask routes /f/ there and not to the app shell.
    app.register_blueprint(public_feedback.blp)
    app.register_blueprint(public_policies.blp)  # /f/policies/…, before /f/<token>
    app.register_blueprint(blp)

    serve_dist(app)

    @app.after_request
    def _security_headers(response):
        security_headers(response.headers, response.mimetype == "text/html")
        return response
