"""The county's policy library for migrants and the public: /f/policies.

Plain server-rendered HTML like the feedback form (same look, no login, no
JavaScript), linked from the form, its status page and the 连心卡. Only current
policies are shown; a withdrawn one answers 404 with a way back to the library.
"""

import io

from flask import Blueprint, current_app, render_template, request, send_file
from marshmallow import ValidationError

from ..common.choices import POLICY_CATEGORIES
from ..errors import NotFound
from . import operations
from .schemas import PublicPolicyQuerySchema

GONE = "这条政策已撤回或不存在。"

blp = Blueprint("public_policies", __name__, url_prefix="/f/policies",
                template_folder="templates")
_query = PublicPolicyQuerySchema()


@blp.after_request
def _asked_again(response):
    # The same for everyone, but a withdrawn policy must not stay on screen from a
    # cache: a browser or proxy may keep a page, and asks again before showing it.
    response.headers["Cache-Control"] = "public, no-cache"
    return response


def _page(template, status=200, **context):
    context.setdefault("hotlines", current_app.config["LIANXIN_HOTLINES"])
    context.setdefault("version", current_app.config["LIANXIN_VERSION"])
    context.setdefault("categories", POLICY_CATEGORIES)
    return render_template(f"policies/{template}", **context), status


@blp.get("/")
def index():
    try:
        filters = _query.load(request.args)
    except ValidationError:
        filters = {}
    policies = operations.current_library(filters.get("category"), filters.get("q"))
    groups = {}
    for policy in policies:
        groups.setdefault(policy.category, []).append(policy)
    return _page("list.html", groups=groups, filters=filters, count=len(policies))


@blp.get("/<uuid:policy_id>")
def show(policy_id):
    try:
        policy = operations.get(policy_id, include_withdrawn=False)
    except NotFound:
        return _page("gone.html", 404, text=GONE)
    return _page("show.html", policy=policy)


@blp.get("/<uuid:policy_id>.pdf")
def pdf(policy_id):
    try:
        document = operations.document(policy_id)
    except NotFound:
        return _page("gone.html", 404, text=GONE)
    return send_file(io.BytesIO(document.content), mimetype="application/pdf",
                     download_name=f"policy-{policy_id}.pdf", etag=document.sha256,
                     conditional=True)

