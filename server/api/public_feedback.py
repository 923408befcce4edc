from flask import current_app
from flask_smorest import Blueprint

from ..extensions import db
from ..feedback import abuse, operations
from ..feedback.schemas import (
    PublicFeedbackSchema,
    PublicStatusQuerySchema,
    PublicStatusSchema,
    ReceiptSchema,
    StampSchema,
)

blp = Blueprint(
    "public_feedback_api", __name__, url_prefix="/api/v1/feedback/public",
    description="外出务工优抚对象征求意见（公开，无需登录；与 /f/ 页面同一规则和频率限制）",
)
blp.before_request(abuse.limit_body)


@blp.route("/stamp", methods=["GET"])
@blp.response(200, StampSchema)
def stamp():
    """A form stamp: send one feedback with it, no sooner than ``wait_seconds`` after
    it was handed out and within ``expires_in``. Handing it out stores nothing."""
    return {"stamp": abuse.form_stamp(),
            "wait_seconds": current_app.config["LIANXIN_FEEDBACK_MIN_SECONDS"],
            "expires_in": abuse.FORM_MAX_AGE}


@blp.route("", methods=["POST"])
@abuse.submit_per_ip
@abuse.submit_per_token
@blp.arguments(PublicFeedbackSchema())
@blp.response(201, ReceiptSchema)
def submit(values):
    """Send a feedback form with a ``stamp`` (``GET …/stamp``). ``token`` (a 连心卡's QR
    token) links it to the card; without one it is anonymous and ``phone`` is required.
    Keep the receipt number: with the phone it looks the feedback up. The same stamp
    sent again with the same form answers with the same receipt; sent too soon, or
    with another form, 422 on ``stamp``."""
    receipt = operations.receive(values)
    db.session.commit()
    return receipt


@blp.route("/status", methods=["GET"])
@abuse.lookup_per_ip
@abuse.lookup_per_phone
@blp.arguments(PublicStatusQuerySchema(), location="query")
@blp.response(200, PublicStatusSchema)
def status(query):
    """Progress and the reply, by receipt number and the phone given with the form."""
    return operations.require_public_status(query["receipt"], query["phone"])
