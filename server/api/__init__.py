"""Thin REST blueprints under /api/v1: parse, authorize, call an operation, serialize."""

from flask import request

from ..extensions import api

BEARER = {"bearerAuth": []}


def register_api(app):
    from . import auth, beneficiaries, meta, regions, users

    api.init_app(app)
    api.spec.components.security_scheme(
        "bearerAuth", {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
    )
    for module in (meta, auth, regions, users, beneficiaries):
        api.register_blueprint(module.blp)

    @app.after_request
    def _no_store(response):
        # API answers hold personal data: never let a browser or proxy keep them.
        if request.path.startswith("/api/"):
            response.headers["Cache-Control"] = "no-store"
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        return response
