"""The public feedback form at /f/ (anonymous) and /f/<token> (from a 连心卡's QR code).

Plain server-rendered HTML: no login, no JavaScript, one small stylesheet, so it
opens on any phone over a slow connection. Jinja escapes everything a migrant
typed. The JSON twin of these pages is server/api/public_feedback.py; both call
the same operations and draw on the same rate limits.
"""

from flask import Blueprint, current_app, redirect, render_template, request, url_for
from marshmallow import ValidationError

from ..common.choices import FEEDBACK_CATEGORIES, FEEDBACK_STATUS
from ..common.limits import seconds_to_wait, wait_words
from ..common.timeutil import county_zone
from ..contacts.tokens import card_for_token, looks_like_token
from ..errors import ValidationFailed
from ..extensions import db
from . import abuse, operations
from .schemas import PublicFeedbackSchema, PublicStatusQuerySchema

STEPS = ("received", "assigned", "replied", "closed")
NOT_FOUND = "没有找到这条意见，请核对回执号和手机号。"
CARD_REFUSED = "此连心卡二维码已失效（卡片可能已补办），请使用新卡，或匿名反映。"
TOO_MANY = "提交过于频繁，请稍后再试。如有急事请拨打服务热线。"
# After a rate limit, with the wait: the typed text stays in the form below.
TOO_MANY_WAIT = "提交过于频繁，请{wait}后再点“提交”。您填写的内容已保留在下面。如有急事请拨打服务热线。"
LOOKUPS_WAIT = "查询过于频繁，请{wait}后再试。如有急事请拨打服务热线。"
TOO_LARGE = "提交的内容过长，请删减后再试。"


class _PublicBlueprint(Blueprint):
    def get_send_file_max_age(self, filename):
        return 7 * 24 * 3600  # the stylesheet's URL carries the version


blp = _PublicBlueprint(
    "public_feedback", __name__, url_prefix="/f",
    template_folder="templates", static_folder="static", static_url_path="/static",
)
blp.before_request(abuse.limit_body)
_submission = PublicFeedbackSchema()
_lookup = PublicStatusQuerySchema()


@blp.after_request
def _not_cached(response):
    # Pages hold a signed form stamp or someone's feedback: never cache them.
    if response.mimetype == "text/html":
        response.headers["Cache-Control"] = "no-store"
    return response


@blp.app_template_filter("county_time")
def county_time(value):
    return value.astimezone(county_zone()).strftime("%Y-%m-%d %H:%M") if value else ""


def _page(template, status=200, **context):
    context.setdefault("hotlines", current_app.config["LIANXIN_HOTLINES"])
    context.setdefault("days", current_app.config["LIANXIN_FEEDBACK_DAYS"])
    context.setdefault("version", current_app.config["LIANXIN_VERSION"])
    return render_template(f"feedback/{template}", **context), status


def _form(card=None, values=None, errors=None, notice=None, status=200, stamp=None):
    return _page("form.html", status, card_tail=card.card_number[-4:] if card else None,
                 categories=FEEDBACK_CATEGORIES, values=values or {}, errors=errors or {},
                 notice=notice, stamp=stamp or abuse.form_stamp())


def _message(title, text, status):
    return _page("message.html", status, title=title, text=text)


# One view per method: a GET (and so a HEAD, which Flask answers with the GET view)
# only shows a page; only a POST sends. Every limit on a view counts every method.


@blp.get("/")
def anonymous():
    return _form()


@blp.post("/")
@abuse.submit_per_ip
def send_anonymous():
    return _send(None)


@blp.get("/<token>")
@abuse.lookup_per_ip
def with_card(token):
    card = card_for_token(token)
    if card is None:
        return _message("二维码无效", CARD_REFUSED, 404)
    return _form(card)


@blp.post("/<token>")
@abuse.submit_per_ip
@abuse.submit_per_token
def send_with_card(token):
    card = card_for_token(token)
    if card is None:
        return _message("二维码无效", CARD_REFUSED, 404)
    return _send(card, token)


def _typed(token=None):
    """What the person typed, to send or to show again."""
    form = request.form
    values = {name: form.get(name, "").strip() or None
              for name in ("category", "phone", "city")}
    values["text"] = form.get("text", "")
    values["website"] = form.get(abuse.HONEYPOT) or None
    values["stamp"] = form.get("stamp", "")
    if token:
        values["token"] = token
    return values


def _send(card, token=None):
    values = _typed(token)
    try:
        receipt = operations.receive(_submission.load(values))
    except (ValidationError, ValidationFailed) as exc:
        db.session.rollback()
        errors = exc.messages if isinstance(exc, ValidationError) else exc.errors
        # Too fast: the same stamp again, its time already running. Otherwise a new one.
        refused = isinstance(exc, operations.StampRefused)
        keep = refused and exc.reason == "too_fast"
        stamp_messages = errors.pop("stamp", None)
        notice = None
        if stamp_messages:
            notice = stamp_messages[0] if refused else abuse.STALE_STAMP
        return _form(card, values, errors=errors, notice=notice, status=422,
                     stamp=values["stamp"] if keep else None)
    db.session.commit()
    # The card's link goes along, so 再反映一条 opens the form of the same card again.
    return redirect(url_for(".sent", receipt=receipt["receipt_number"],
                            track=int(receipt["trackable"]), card=token), 303)


@blp.get("/sent")
def sent():
    token = request.args.get("card")
    again = (url_for(".with_card", token=token) if looks_like_token(token)
             else url_for(".anonymous"))
    return _page("sent.html", receipt=request.args.get("receipt", "")[:24],
                 trackable=request.args.get("track") != "0", again=again)


@blp.get("/status")
def status():
    return _page("status.html", values={"receipt": request.args.get("receipt", "")[:24]},
                 errors={})


@blp.post("/status")
@abuse.lookup_per_ip
@abuse.lookup_per_phone
def look_up():
    values = {"receipt": request.form.get("receipt", "").strip(),
              "phone": request.form.get("phone", "").strip()}
    try:
        query = _lookup.load(values)
    except ValidationError as exc:
        return _page("status.html", 422, values=values, errors=exc.messages)
    feedback = operations.public_status(query["receipt"], query["phone"])
    if feedback is None:
        return _page("status.html", 404, values=values, errors={}, notice=NOT_FOUND)
    return _page("status.html", values=values, errors={}, feedback=feedback,
                 categories=FEEDBACK_CATEGORIES, labels=FEEDBACK_STATUS, steps=STEPS,
                 reached=STEPS.index(feedback.status))


@blp.errorhandler(429)
def _too_many(_exc):
    seconds = seconds_to_wait()
    wait = wait_words(seconds) if seconds else None
    if request.endpoint in ("public_feedback.send_anonymous", "public_feedback.send_with_card"):
        # Keep what was typed: the person sends it again later, not types it again.
        token = (request.view_args or {}).get("token")
        card = card_for_token(token) if token else None
        notice = TOO_MANY_WAIT.format(wait=wait) if wait else TOO_MANY
        page = _form(card, _typed(token), notice=notice, status=429)
    else:
        page = _message("请稍后再试", LOOKUPS_WAIT.format(wait=wait) if wait else TOO_MANY, 429)
    return (*page, {"Retry-After": str(seconds)} if seconds else {})


@blp.errorhandler(413)
def _too_large(_exc):
    return _message("内容过长", TOO_LARGE, 413)
