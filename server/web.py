"""Serving the built PWA (pwa/dist) at ``/``.

The service worker must be fetched fresh on every check so updates are found;
hashed assets never change, so they are cached for a year. Any other path that
is not the API (nor the public feedback form under /f/, server/feedback/public.py)
falls back to the app shell, which routes on the client.
"""

from pathlib import Path

from flask import Blueprint, Response, current_app, send_from_directory
from werkzeug.exceptions import NotFound

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


def dist_dir():
    return Path(current_app.config.get("LIANXIN_PWA_DIST", PROJECT_ROOT / "pwa" / "dist"))


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

    # /f/… is the migrants' feedback form: its rules are more specific than the
    # catch-all below, so Flask routes /f/ there and not to the app shell.
    app.register_blueprint(public_feedback.blp)
    app.register_blueprint(blp)

    @app.after_request
    def _security_headers(response):
        if response.mimetype == "text/html":
            response.headers.setdefault("Content-Security-Policy", CSP)
            response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        return response
