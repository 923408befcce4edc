"""Thin REST blueprints under /api/v1: parse, authorize, call an operation, serialize."""

from importlib import import_module

from flask import request

from .openapi import api

BEARER = {"bearerAuth": []}

# One module per resource, each with a flask-smorest Blueprint named ``blp``.
BLUEPRINT_MODULES = (
    "meta",
    "auth",
    "regions",
    "users",
    "liaisons",
    "enrollment",
    "beneficiaries",
    "health",
    "visits",
    "visit_tasks",
    "mediation",
    "contacts",
    "card_printing",
    "feedback",
    "public_feedback",
    "opinions",
    "notifications",
    "policies",
    "outreach",
    "sync",
    "review",
    "dashboard",
    "exports",
    "roster",
    "audit",
)


def register_api(app):
    api.init_app(app)
    api.spec.components.security_scheme(
        "bearerAuth", {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
    )
    for name in BLUEPRINT_MODULES:
        api.register_blueprint(import_module(f"{__name__}.{name}").blp)

    @app.after_request
    def _no_store(response):
        # API answers hold personal data: never let a browser or proxy keep them.
        if request.path.startswith("/api/"):
            response.headers["Cache-Control"] = "no-store"
        return response
