"""Migrants' feedback: the public form and API, abuse resistance, and handling by staff."""

import itertools
import re
import uuid
from datetime import timedelta
from io import BytesIO
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from server import create_app
from server.common.limits import wait_words
from server.common.timeutil import utcnow
from server.contacts import operations as contacts
from server.contacts import printing
from server.extensions import db
from server.feedback import abuse, operations
from server.feedback.models import Feedback, FeedbackStamp
from server.notifications.models import Notification
from server.records.models import AuditEntry
from server.records.versioning import update_record
from tests import factories
from tests.apps import make_config
from tests.clock import Clock

PUBLIC = "/api/v1/feedback/public"
STAFF = "/api/v1/feedback"
SCRIPT = "<script>alert('x')</script> & 谢谢"
ESCAPED = "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; 谢谢"
RECEIPT = re.compile(r"^FK\d{14}$")
SHANGHAI = ZoneInfo("Asia/Shanghai")


# --- helpers and fixtures ----------------------------------------------------------------------


def migrant_card(county, user, village="V11", name="李外出", phone="13711112222"):
    person = factories.beneficiary(county.regions[village], user("admin"), name=name,
                                   is_migrant=True, work_city="广州")
    card = contacts.create_card({"beneficiary_id": person.id, "phone": phone,
                                 "work_province": "广东"}, user("admin"))
    db.session.commit()
    return card


def issued(card, user):
    """A card and the token of its QR code, as a reissue hands it out."""
    token = printing.reissue(card, user("county1"))["token"]
    db.session.commit()
    return token


@pytest.fixture
def card(county, user):
    return migrant_card(county, user)


@pytest.fixture
def token(card, user):
    return issued(card, user)


@pytest.fixture
def quick_forms(app, monkeypatch):
    """Tests fill the HTML form faster than a person; the time check is tested on its own."""
    monkeypatch.setitem(app.config, "LIANXIN_FEEDBACK_MIN_SECONDS", 0)


def aged_stamp(seconds=60):
    """A stamp handed out ``seconds`` ago, as a client that waited would send it."""
    return abuse.form_stamp(abuse.utcnow() - timedelta(seconds=seconds))  # its clock


FORMS = itertools.count(1)


def send(client, **values):
    """Each call a text of its own: the same text again would be the same feedback."""
    body = {"category": "policy", "text": f"请问优待金什么时候发？（{next(FORMS)}）",
            "phone": "13900001111",
            "stamp": aged_stamp(), **values}
    return client.post(PUBLIC, json=body)


def sent(client, **values):
    response = send(client, **values)
    assert response.status_code == 201, response.get_data(as_text=True)
    return db.session.scalar(
        select(Feedback).where(Feedback.receipt_number == response.json["receipt_number"])
    )


def form_stamp(client, path="/f/"):
    page = client.get(path).get_data(as_text=True)
    return re.search(r'name="stamp" value="([^"]+)"', page).group(1)


def post_form(client, path="/f/", **values):
    data = {"category": "rights", "text": "工资被拖欠三个月", "phone": "13900002222",
            "city": "东莞", "stamp": form_stamp(client, path), **values}
    return client.post(path, data=data)


def count(model):
    return db.session.scalar(select(func.count()).select_from(model))


def actions(record):
    return db.session.scalars(
        select(AuditEntry.action).where(AuditEntry.record_id == str(record.id))
        .order_by(AuditEntry.id)
    ).all()


# --- the public API ---------------------------------------------------------------------------


def test_anonymous_feedback_gets_a_receipt_and_a_deadline(client, today):
    response = send(client, city="深圳")
    assert response.status_code == 201, response.json
    body = response.json
    assert RECEIPT.match(body["receipt_number"])
    assert body["receipt_number"][2:10] == today.strftime("%Y%m%d")
    assert body == {"receipt_number": body["receipt_number"], "status": "received",
                    "deadline": (today + timedelta(days=15)).isoformat(), "trackable": True}
    stored = db.session.scalar(select(Feedback).where(
        Feedback.receipt_number == body["receipt_number"]))
    assert (stored.card_id, stored.beneficiary_id, stored.village_id) == (None, None, None)
    assert (stored.phone, stored.city, stored.status) == ("13900001111", "深圳", "received")
    assert actions(stored) == ["create"]


def test_deadline_follows_the_configured_days(app, client, today, monkeypatch):
    monkeypatch.setitem(app.config, "LIANXIN_FEEDBACK_DAYS", 7)
    assert sent(client).deadline == today + timedelta(days=7)


def test_an_anonymous_form_needs_a_phone(client):
    response = send(client, phone=None)
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert response.json["errors"]["phone"] == ["匿名反映须留手机号，以便答复和查询进度"]


@pytest.mark.parametrize("values, field", [
    ({"category": "gossip"}, "category"),
    ({"text": "   "}, "text"),
    ({"text": "长" * 2001}, "text"),
    ({"phone": "12345"}, "phone"),
    ({"city": "城" * 61}, "city"),
    ({"extra": "x"}, "extra"),
])
def test_the_form_is_validated(client, values, field):
    response = send(client, **values)
    assert response.status_code == 422
    assert field in response.json["errors"]
    assert count(Feedback) == 0


def test_text_of_2000_characters_is_taken(client):
    assert len(sent(client, text="长" * 2000).text) == 2000


def test_a_body_over_16_kb_is_refused(client):
    response = client.post(PUBLIC, data='{"text": "' + "x" * 17000 + '"}',
                           content_type="application/json")
    assert response.status_code == 413
    assert response.mimetype == "application/problem+json"
    assert response.json["title"] == "请求内容过大"


def test_a_card_token_links_the_person_and_the_village(client, card, token, county):
    feedback = sent(client, token=token, phone=None, city=None)
    assert feedback.card_id == card.id
    assert feedback.beneficiary_id == card.beneficiary_id
    assert feedback.village_id == county.regions["V11"]
    # Without a phone or city on the form, the card's register entry supplies them.
    assert (feedback.phone, feedback.city) == ("13711112222", "广州")


def test_a_card_without_phone_gives_an_untrackable_receipt(client, county, user):
    token = issued(migrant_card(county, user, phone=None), user)
    response = send(client, token=token, phone=None)
    assert response.status_code == 201
    assert response.json["trackable"] is False


def test_a_revoked_or_unknown_token_is_refused(client, card, token, user):
    printing.reissue(card, user("county1"))
    db.session.commit()
    for stale in (token, "x" * 32, "not-a-token"):
        response = send(client, token=stale)
        assert response.status_code == 422
        assert "token" in response.json["errors"]
    assert count(Feedback) == 0


def test_status_by_receipt_and_phone(client):
    feedback = sent(client, text=SCRIPT)
    response = client.get(f"{PUBLIC}/status",
                          query_string={"receipt": feedback.receipt_number.lower(),
                                        "phone": "139 0000 1111"})
    assert response.status_code == 200
    assert response.json == {
        "receipt_number": feedback.receipt_number, "category": "policy",
        "category_label": "政策咨询", "status": "received", "status_label": "已收到",
        "submitted_at": feedback.created_at.isoformat(),
        "deadline": feedback.deadline.isoformat(), "text": SCRIPT, "reply": None,
        "replied_at": None, "closed_at": None,
    }


def test_a_wrong_phone_answers_like_an_unknown_receipt(client):
    feedback = sent(client)
    wrong_phone = client.get(f"{PUBLIC}/status", query_string={
        "receipt": feedback.receipt_number, "phone": "13900009999"})
    unknown = client.get(f"{PUBLIC}/status", query_string={
        "receipt": "FK20260101000000", "phone": "13900001111"})
    assert wrong_phone.status_code == unknown.status_code == 404
    assert wrong_phone.json == unknown.json


def test_a_filled_honeypot_is_kept_marked_for_staff(client, auth_headers):
    """Never a receipt for nothing: the receipt a filled honeypot gets is of a stored row."""
    response = send(client, website="http://spam.example")
    assert response.status_code == 201
    feedback = db.session.scalar(select(Feedback))
    assert feedback.receipt_number == response.json["receipt_number"]
    assert feedback.suspected == "honeypot"
    listed = client.get(STAFF, query_string={"suspected": "true"},
                        headers=auth_headers("county1")).json["items"]
    assert [(item["receipt_number"], item["suspected"]) for item in listed] == [
        (feedback.receipt_number, "honeypot")]
    assert client.get(STAFF, query_string={"suspected": "false"},
                      headers=auth_headers("county1")).json["items"] == []
    register = load_workbook(BytesIO(client.get(f"{STAFF}/export.xlsx",
                                                headers=auth_headers("county1")).data)).active
    header, row = list(register.iter_rows(min_row=2, values_only=True))
    assert dict(zip(header, row, strict=True))["疑似"] == "疑似机器提交"


def stamp_clock(monkeypatch):
    """The feedback rules' clock, moved by hand (the stamp's age is read through it)."""
    frozen = Clock(utcnow())
    monkeypatch.setattr(abuse, "utcnow", frozen)
    return frozen


def test_the_api_waits_the_fill_time_too(client, monkeypatch):
    clock = stamp_clock(monkeypatch)
    handed = client.get(f"{PUBLIC}/stamp")
    assert handed.status_code == 200
    assert handed.json["wait_seconds"] == 3 and handed.json["expires_in"] == 24 * 3600
    stamp = handed.json["stamp"]
    fast = send(client, stamp=stamp)
    assert fast.status_code == 422
    assert fast.json["errors"]["stamp"] == [abuse.TOO_FAST]
    assert count(Feedback) == 0
    clock.advance(seconds=3)
    assert send(client, stamp=stamp).status_code == 201
    assert count(Feedback) == 1
    clock.advance(hours=25)
    late = send(client, stamp=client.get(f"{PUBLIC}/stamp").json["stamp"])
    assert late.status_code == 422  # a stamp from a day ago: refused, like a forged one


@pytest.mark.parametrize("stamp", [None, "", "forged.stamp", "eyJuIjoiMSJ9.x"])
def test_the_api_refuses_a_missing_or_forged_stamp(client, stamp):
    body = {"category": "policy", "text": "咨询", "phone": "13900001111"}
    if stamp is not None:
        body["stamp"] = stamp
    response = client.post(PUBLIC, json=body)
    assert response.status_code == 422 and "stamp" in response.json["errors"]
    assert count(Feedback) == 0


def test_a_stamp_sends_once(client):
    stamp = aged_stamp()
    first = send(client, stamp=stamp, text="低保申请进度")
    again = send(client, stamp=stamp, text="低保申请进度")  # retried: the same receipt
    assert first.status_code == again.status_code == 201
    assert again.json["receipt_number"] == first.json["receipt_number"]
    other = send(client, stamp=stamp, text="另一件事")
    assert other.status_code == 422
    assert other.json["errors"]["stamp"] == [abuse.STAMP_USED]
    assert count(Feedback) == 1


def test_used_stamps_are_forgotten_after_a_day(client, monkeypatch):
    clock = stamp_clock(monkeypatch)
    assert send(client, stamp=aged_stamp()).status_code == 201
    assert count(FeedbackStamp) == 1
    clock.advance(hours=25)  # every stamp of then has expired: its row is of no use
    assert send(client, stamp=aged_stamp()).status_code == 201
    assert count(FeedbackStamp) == 1


def test_the_same_text_again(client):
    first = send(client, text="工资  被拖欠\n三个月")
    # The same person again (spacing aside): the same feedback, not a second row.
    repeat = send(client, text="工资被拖欠 三个月".replace("被", " 被"))
    assert repeat.json["receipt_number"] == first.json["receipt_number"]
    assert count(Feedback) == 1
    # Someone else with the very same text: kept, marked for staff.
    copied = send(client, text="工资 被拖欠 三个月", phone="13900003333")
    assert copied.status_code == 201
    marked = db.session.scalar(
        select(Feedback).where(Feedback.receipt_number == copied.json["receipt_number"]))
    assert marked.suspected == "duplicate" and marked.text == "工资 被拖欠 三个月"
    first_row = db.session.scalar(
        select(Feedback).where(Feedback.receipt_number == first.json["receipt_number"]))
    assert first_row.suspected is None


# --- the public HTML form ---------------------------------------------------------------------


def test_the_form_page_is_small_chinese_and_script_free(client):
    response = client.get("/f/")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["Cache-Control"] == "no-store"
    assert '<html lang="zh-CN">' in page and 'name="viewport"' in page
    for label in ("政策咨询", "维权求助", "就业创业", "意见建议", "其他", "县民政局局长"):
        assert label in page
    assert "<script" not in page and "style=" not in page and "<style" not in page
    assert 'class="hp"' in page  # the honeypot, hidden by the stylesheet
    assert len(response.data) < 8 * 1024


def test_the_stylesheet_and_the_bare_prefix(client):
    css = client.get("/f/static/feedback.css")
    assert css.status_code == 200 and css.mimetype == "text/css"
    assert ".hp{" in css.get_data(as_text=True)
    assert len(css.data) < 4 * 1024
    assert client.get("/f").status_code in (301, 308)
    assert client.get("/f").headers["Location"].endswith("/f/")


def test_sending_the_form_shows_a_receipt(client, quick_forms, today):
    response = post_form(client)
    assert response.status_code == 303
    feedback = db.session.scalar(select(Feedback))
    assert feedback.text == "工资被拖欠三个月" and feedback.category == "rights"
    assert f"receipt={feedback.receipt_number}" in response.headers["Location"]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert feedback.receipt_number in page
    assert "查询办理进度" in page
    assert 'href="/f/" data-testid="send-another"' in page  # 再反映一条: the anonymous form


def test_a_form_with_errors_is_shown_again_with_what_was_typed(client, quick_forms):
    response = post_form(client, phone="", text="我的诉求")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "匿名反映须留手机号" in page and "我的诉求" in page
    assert count(Feedback) == 0


def test_the_card_form_names_only_the_cards_last_digits(client, card, token, county, user):
    other = migrant_card(county, user, "V21", name="赵另人", phone="13655556666")
    issued(other, user)
    page = client.get(f"/f/{token}").get_data(as_text=True)
    assert f"卡号尾号 {card.card_number[-4:]}" in page
    for secret in ("李外出", card.card_number, "13711112222", "赵另人", other.card_number,
                   "13655556666", str(card.id), str(card.beneficiary_id)):
        assert secret not in page


def test_the_card_form_sends_with_the_card(client, quick_forms, card, token):
    response = post_form(client, f"/f/{token}", phone="")
    assert response.status_code == 303
    feedback = db.session.scalar(select(Feedback))
    assert (feedback.card_id, feedback.phone) == (card.id, card.phone)
    # 再反映一条 opens the same card's form again, not the anonymous one
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert f'href="/f/{token}" data-testid="send-another"' in page
    forged = client.get("/f/sent?receipt=FK1&card=javascript:alert(1)").get_data(as_text=True)
    assert 'href="/f/" data-testid="send-another"' in forged


def test_a_revoked_card_page_says_so(client, card, token, user):
    printing.reissue(card, user("county1"))
    db.session.commit()
    response = client.get(f"/f/{token}")
    assert response.status_code == 404 and response.mimetype == "text/html"
    assert "二维码已失效" in response.get_data(as_text=True)
    assert client.post(f"/f/{token}", data={"text": "x"}).status_code == 404


def test_a_form_sent_too_fast_is_shown_again_with_its_text(client, monkeypatch):
    """Sent within 3 s: no receipt (nothing is stored) but the form, the text kept,
    a message to wait, and the same stamp, whose time keeps running."""
    clock = stamp_clock(monkeypatch)
    stamp = form_stamp(client)
    fast = post_form(client, stamp=stamp)
    page = fast.get_data(as_text=True)
    assert fast.status_code == 422 and "Location" not in fast.headers
    assert abuse.TOO_FAST in page and "工资被拖欠三个月" in page and "13900002222" in page
    assert f'name="stamp" value="{stamp}"' in page
    assert "回执" not in page
    assert count(Feedback) == 0
    clock.advance(seconds=3)
    sent_later = post_form(client, stamp=stamp)
    assert sent_later.status_code == 303
    assert count(Feedback) == 1


def test_a_form_with_the_honeypot_filled_is_kept_marked(client, quick_forms):
    trapped = post_form(client, website="http://spam.example")
    assert trapped.status_code == 303
    feedback = db.session.scalar(select(Feedback))
    assert feedback.suspected == "honeypot"
    assert f"receipt={feedback.receipt_number}" in trapped.headers["Location"]


def test_the_form_sent_twice_answers_with_one_receipt(client, quick_forms):
    stamp = form_stamp(client)
    first = post_form(client, stamp=stamp)
    again = post_form(client, stamp=stamp)  # a double tap, or the back button
    assert first.status_code == again.status_code == 303
    assert first.headers["Location"] == again.headers["Location"]
    changed = post_form(client, stamp=stamp, text="另一件事：社保")
    assert changed.status_code == 422
    page = changed.get_data(as_text=True)
    assert abuse.STAMP_USED in page and "另一件事：社保" in page
    assert count(Feedback) == 1


def test_a_forged_or_missing_stamp_shows_the_form_again(client, quick_forms):
    for stamp in ("", "forged.stamp.value"):
        response = post_form(client, stamp=stamp)
        assert response.status_code == 422
        assert "请检查后再提交一次" in response.get_data(as_text=True)
    assert count(Feedback) == 0


def test_the_status_page_shows_progress_and_the_reply_escaped(client, quick_forms, user):
    post_form(client, text=SCRIPT)
    feedback = db.session.scalar(select(Feedback))
    operations.reply(feedback, {"reply": "<b>已联系劳动监察</b>"}, user("county1"))
    db.session.commit()
    response = client.post("/f/status", data={"receipt": feedback.receipt_number,
                                              "phone": "13900002222"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert ESCAPED in page
    assert "<script>alert" not in page
    assert "&lt;b&gt;已联系劳动监察&lt;/b&gt;" in page and "<b>" not in page
    assert "已答复" in page and feedback.deadline.isoformat() in page


def test_the_status_page_with_a_wrong_phone(client, quick_forms):
    post_form(client)
    feedback = db.session.scalar(select(Feedback))
    response = client.post("/f/status", data={"receipt": feedback.receipt_number,
                                              "phone": "13900009999"})
    assert response.status_code == 404
    page = response.get_data(as_text=True)
    assert "没有找到这条意见" in page and feedback.text not in page


# --- rate limits ------------------------------------------------------------------------------


def from_ip(address):
    return {"environ_base": {"REMOTE_ADDR": address}}


def person(index):
    """The form of the index-th person: their own text and phone."""
    return {"category": "rights", "text": f"第{index}号宿舍：工资被拖欠",
            "phone": f"139{index:08d}", "stamp": aged_stamp()}


def tally(responses):
    statuses = {}
    for response in responses:
        statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
    return statuses


def test_head_and_get_never_send(client, quick_forms, token):
    """HEAD is answered by the GET view, which only shows the form: nothing is stored,
    whatever the request carries (the issue's 25 of 25 and 15 of 15)."""
    for index in range(25):
        assert client.head("/f/", data=person(index)).status_code == 200
        assert client.get("/f/", data=person(index)).status_code == 200
    for index in range(15):
        assert client.head(f"/f/{token}", data=person(index)).status_code == 200
    assert client.head(PUBLIC, json=person(0)).status_code >= 400  # sending is POST only
    assert count(Feedback) == 0


def test_head_and_get_never_look_up(client, quick_forms):
    receipt = send(client).json["receipt_number"]
    lookup = {"receipt": receipt, "phone": "13900001111"}
    for method in ("HEAD", "GET"):
        page = client.open("/f/status", method=method, data=lookup)
        assert page.status_code == 200
        assert "请问优待金" not in page.get_data(as_text=True)  # the empty look-up form
    assert client.post("/f/status", data=lookup).status_code == 200


@pytest.mark.parametrize(("seconds", "words"), [
    (1, "1秒"), (61, "61秒"), (89, "89秒"), (90, "2分钟"), (600, "10分钟"), (3599, "60分钟"),
    (3600, "约1小时"), (20000, "约6小时")])
def test_a_wait_in_words(seconds, words):
    assert wait_words(seconds) == words


def test_a_dormitory_sends_on_one_address(client, rate_limits):
    """Twenty people on one dormitory Wi-Fi within a minute: all kept."""
    answers = [client.post(PUBLIC, json=person(index)) for index in range(20)]
    assert tally(answers) == {201: 20}
    assert count(Feedback) == 20


def test_sending_is_limited_per_address_whatever_the_method(client, rate_limits, app, monkeypatch):
    """A script on one address: HEAD, GET and POST, form and API mixed. Showing the form
    (GET/HEAD) stores nothing; the sends past the address's allowance (20 a minute) are
    refused, form and API drawing on one allowance."""
    monkeypatch.setitem(app.config, "LIANXIN_FEEDBACK_MIN_SECONDS", 0)
    answers = []
    for index in range(60):
        client.head("/f/", data=person(index))
        client.get("/f/", data=person(index))
        if index % 2:
            answers.append(client.post(PUBLIC, json=person(index)))
        else:
            answers.append(client.post("/f/", data=person(index)))
    stored = count(Feedback)
    print(f"\nper address: 180 requests (60 HEAD, 60 GET, 60 sends): {tally(answers)}, "
          f"{stored} stored")
    assert stored == 20
    assert tally(answers) == {201: 10, 303: 10, 429: 40}
    refused_form = answers[-2]
    assert refused_form.status_code == 429 and refused_form.mimetype == "text/html"
    page = refused_form.get_data(as_text=True)
    assert "提交过于频繁" in page and person(58)["text"] in page  # the text is kept
    # … and says how long to wait: the address's window is a minute
    wait = re.search(r"请(\d+)秒后再点“提交”", page)
    assert wait and 1 <= int(wait.group(1)) <= 61, page
    assert 1 <= int(refused_form.headers["Retry-After"]) <= 61
    assert 1 <= int(answers[-1].headers["Retry-After"]) <= 61
    refused_api = answers[-1]
    assert refused_api.mimetype == "application/problem+json"
    assert refused_api.json["title"] == "请求过于频繁，请稍后再试"
    # Another address is not affected.
    assert client.post(PUBLIC, json=person(99), **from_ip("10.1.1.1")).status_code == 201


def test_sending_is_limited_per_card_token(client, rate_limits, token):
    """A leaked card: from many addresses, form and API mixed, 10 a day."""
    answers = []
    for index in range(30):
        values = {**person(index), "phone": None}
        if index % 2:
            answers.append(client.post(PUBLIC, json={**values, "token": token},
                                       **from_ip(f"10.2.0.{index}")))
        else:
            values.pop("phone")
            answers.append(client.post(f"/f/{token}", data=values,
                                       **from_ip(f"10.2.0.{index}")))
    card_rows = db.session.scalar(select(func.count()).select_from(Feedback)
                                  .where(Feedback.card_id.is_not(None)))
    print(f"\nper card token: 30 sends from 30 addresses: {tally(answers)}, {card_rows} stored")
    assert card_rows == 10
    assert tally(answers) == {201: 5, 303: 5, 429: 20}
    # The same address may still send anonymously: the limit was the card's.
    assert client.post(PUBLIC, json=person(77), **from_ip("10.2.0.29")).status_code == 201


def test_look_ups_are_limited_per_address_whatever_the_method(client, rate_limits, token):
    """Card pages and status look-ups share 60 a minute per address: HEAD and GET of
    /f/<token>, POST /f/status, HEAD and GET of the API's status all count."""
    answers = []
    for index in range(150):
        lookup = {"receipt": "FK20260101000000", "phone": f"137{index:08d}"}
        kind = index % 5
        if kind == 0:
            answers.append(client.head(f"/f/{token}"))
        elif kind == 1:
            answers.append(client.get(f"/f/{token}"))
        elif kind == 2:
            answers.append(client.head(f"{PUBLIC}/status", query_string=lookup))
        elif kind == 3:
            answers.append(client.get(f"{PUBLIC}/status", query_string=lookup))
        else:
            answers.append(client.post("/f/status", data=lookup))
    statuses = tally(answers)
    print(f"\nlook-ups per address: 150 requests, 5 kinds mixed: {statuses}")
    assert statuses == {200: 24, 404: 36, 429: 90}
    assert all(answer.status_code == 429 for answer in answers[60:])
    assert answers[-1].mimetype == "text/html" and answers[-2].mimetype == "application/problem+json"
    assert client.get(f"{PUBLIC}/status", query_string={"receipt": "FK1", "phone": "13700000001"},
                      **from_ip("10.3.3.3")).status_code == 404


def test_look_ups_are_limited_per_phone_from_any_address(client, rate_limits):
    """Walking a known phone's receipts from many addresses: 10 an hour for that phone,
    HEAD, GET and the form alike; the migrant's own look-up of another phone goes on."""
    phone = "13900001111"
    answers = []
    for index in range(40):
        lookup = {"receipt": f"FK20261202{index:06d}", "phone": phone}
        method = ("HEAD", "GET", "POST")[index % 3]
        if method == "POST":
            answers.append(client.post("/f/status", data=lookup, **from_ip(f"10.4.0.{index}")))
        else:
            answers.append(client.open(f"{PUBLIC}/status", method=method, query_string=lookup,
                                       **from_ip(f"10.4.0.{index}")))
    statuses = tally(answers)
    print(f"\nlook-ups per phone: 40 guesses from 40 addresses: {statuses}")
    assert statuses == {404: 10, 429: 30}
    spaced = {"receipt": "FK20261202999999", "phone": "139 0000 1111"}  # the same phone
    assert client.get(f"{PUBLIC}/status", query_string=spaced,
                      **from_ip("10.4.1.1")).status_code == 429
    # a GET claiming a JSON body is still the phone of its query string
    claimed = client.get(f"{PUBLIC}/status", query_string=spaced, data="{}",
                         content_type="application/json", **from_ip("10.4.1.2"))
    assert claimed.status_code == 429
    assert client.get(f"{PUBLIC}/status", query_string={"receipt": "FK1", "phone": "13900002222"},
                      **from_ip("10.4.0.1")).status_code == 404


def test_the_limits_read_no_oversized_body(client, rate_limits):
    """The per-phone and per-card limits read the body: its 16 KB limit holds for them."""
    for path in ("/f/status", "/f/"):
        response = client.post(path, data={"phone": "13900001111", "text": "x" * 17000})
        assert response.status_code == 413, path
        assert "内容过长" in response.get_data(as_text=True)
    refused = client.post(PUBLIC, json={"token": "t" * 32, "text": "x" * 17000})
    assert refused.status_code == 413
    assert count(Feedback) == 0


# --- handling by staff -------------------------------------------------------------------------


def test_the_whole_workflow_through_the_api(client, auth_headers, county, user):
    receipt = send(client, text=SCRIPT).json["receipt_number"]
    county1, township1 = auth_headers("county1"), auth_headers("township1")

    listed = client.get(STAFF, headers=county1, query_string={"status": "received"}).json
    assert [item["receipt_number"] for item in listed["items"]] == [receipt]
    item = listed["items"][0]
    assert item["text"] == SCRIPT  # stored and answered verbatim; screens escape it
    assert item["overdue"] is False and item["beneficiary_name"] is None
    url = f"{STAFF}/{item['id']}"
    # Anonymous and unassigned: not the township's yet.
    assert client.get(url, headers=township1).status_code == 404

    assigned = client.post(f"{url}/assign", headers=county1,
                           json={"region_id": str(county.regions["T1"])})
    assert assigned.status_code == 200, assigned.json
    assert assigned.json["status"] == "assigned"
    assert assigned.json["assigned_region_name"] == "一号镇"
    assert client.get(url, headers=township1).status_code == 200

    replied = client.post(f"{url}/reply", headers=township1, json={"reply": "已联系用人单位"})
    assert replied.status_code == 200
    assert replied.json["status"] == "replied" and replied.json["replied_at"]

    public = client.get(f"{PUBLIC}/status", query_string={"receipt": receipt,
                                                          "phone": "13900001111"}).json
    assert (public["status"], public["reply"]) == ("replied", "已联系用人单位")

    closed = client.post(f"{url}/close", headers=county1)
    assert closed.status_code == 200
    assert closed.json["status"] == "closed" and closed.json["closed_at"]
    assert closed.json["version"] == 4
    feedback = db.session.get(Feedback, uuid.UUID(closed.json["id"]))
    assert actions(feedback) == ["create", "assign", "reply", "close"]


def test_staff_screens_get_the_text_verbatim(client, auth_headers):
    feedback = sent(client, text=SCRIPT)
    detail = client.get(f"{STAFF}/{feedback.id}", headers=auth_headers("county1"))
    assert detail.json["text"] == SCRIPT
    assert detail.mimetype == "application/json"


def test_a_card_feedback_shows_its_person_to_staff(client, auth_headers, card, token):
    feedback = sent(client, token=token)
    body = client.get(f"{STAFF}/{feedback.id}", headers=auth_headers("township1")).json
    assert body["beneficiary_name"] == "李外出"
    assert body["card_number"] == card.card_number
    assert body["village_name"] == "一号镇甲村"


def test_township_officers_see_their_villages_and_assignments(client, auth_headers, county,
                                                              user):
    own = sent(client, token=issued(migrant_card(county, user, "V12"), user))
    other = sent(client, token=issued(migrant_card(county, user, "V21", name="赵"), user))
    handed = sent(client)
    operations.assign(handed, {"region_id": county.regions["T1"]}, user("county1"))
    to_officer = sent(client)
    operations.assign(to_officer, {"user_id": county.users["township1"]}, user("county1"))
    db.session.commit()
    listed = client.get(STAFF, headers=auth_headers("township1")).json
    assert {item["id"] for item in listed["items"]} == {
        str(own.id), str(handed.id), str(to_officer.id)}
    assert client.get(f"{STAFF}/{other.id}", headers=auth_headers("township1")).status_code == 404
    assert client.get(STAFF, headers=auth_headers("liaison1")).status_code == 403
    assert client.get(STAFF, headers=auth_headers("county1")).json["total"] == 4


def test_assignment_rules(client, auth_headers, county, user):
    feedback = sent(client)
    url = f"{STAFF}/{feedback.id}/assign"
    county1, township1 = auth_headers("county1"), auth_headers("township1")
    cases = [
        (county1, {}, "region_id"),
        (county1, {"region_id": str(county.regions["V11"])}, "region_id"),  # not a township
        (county1, {"user_id": county.users["liaison1"]}, "user_id"),
        (county1, {"region_id": str(county.regions["T1"]), "user_id": county.users["township2"]},
         "user_id"),
    ]
    for headers, body, field in cases:
        response = client.post(url, headers=headers, json=body)
        assert response.status_code == 422, body
        assert field in response.json["errors"]

    # An officer alone: their township comes with them, and they are notified.
    response = client.post(url, headers=county1, json={"user_id": county.users["township2"]})
    assert response.status_code == 200
    assert response.json["assigned_region_id"] == str(county.regions["T2"])
    assert response.json["assigned_user_name"] == "township2"
    notice = db.session.scalar(select(Notification).where(
        Notification.user_id == county.users["township2"]))
    assert notice.kind == "feedback_assigned" and feedback.receipt_number in notice.body

    # township1 sees it only while it is theirs; within the township, or up to the county.
    mine = sent(client)
    operations.assign(mine, {"region_id": county.regions["T1"]}, user("county1"))
    db.session.commit()
    url = f"{STAFF}/{mine.id}/assign"
    for body, field in (({"region_id": str(county.regions["T2"])}, "region_id"),
                        ({"user_id": county.users["township2"]}, "user_id")):
        response = client.post(url, headers=township1, json=body)
        assert response.status_code == 422 and field in response.json["errors"]
    response = client.post(url, headers=township1, json={"user_id": county.users["county1"]})
    assert response.status_code == 200
    assert response.json["assigned_region_id"] is None


def test_status_moves_forward_only(client, auth_headers, user):
    feedback = sent(client)
    url, headers = f"{STAFF}/{feedback.id}", auth_headers("county1")
    not_replied = client.post(f"{url}/close", headers=headers)
    assert not_replied.status_code == 409 and not_replied.json["code"] == "feedback_not_replied"
    first = client.post(f"{url}/reply", headers=headers, json={"reply": "初步答复"}).json
    # A corrected reply keeps the time of the first one: time to reply is not reset.
    second = client.post(f"{url}/reply", headers=headers, json={"reply": "更正后的答复"}).json
    assert second["reply"] == "更正后的答复" and second["replied_at"] == first["replied_at"]
    answered = client.post(f"{url}/assign", headers=headers, json={"region_id": str(
        feedback.village_id or user("township1").region_id)})
    assert answered.status_code == 409 and answered.json["code"] == "feedback_answered"
    assert client.post(f"{url}/close", headers=headers).status_code == 200
    for action, body in (("close", None), ("reply", {"reply": "再答复"})):
        again = client.post(f"{url}/{action}", headers=headers, json=body)
        assert again.status_code == 409 and again.json["code"] == "feedback_closed"
    assert client.post(f"{url}/reply", headers=headers, json={"reply": " "}).status_code == 422


def backdate(feedback, days, replied_after_hours=None):
    """Move a feedback ``days`` into the past (created, deadline, reply)."""
    created = utcnow() - timedelta(days=days)
    values = {"created_at": created,
              "deadline": feedback.deadline - timedelta(days=days)}
    if replied_after_hours is not None:
        values["replied_at"] = created + timedelta(hours=replied_after_hours)
    update_record(feedback, values, None)
    db.session.commit()


def test_overdue_flag_and_filters(client, auth_headers, user):
    late = sent(client, category="rights", text="拖欠工资")
    backdate(late, 20)
    answered = sent(client, category="policy")
    operations.reply(answered, {"reply": "已答复"}, user("county1"))
    backdate(answered, 20)
    fresh = sent(client, category="employment", text="想学电焊")
    headers = auth_headers("county1")

    def ids(**query):
        body = client.get(STAFF, headers=headers, query_string=query).json
        return {item["id"] for item in body["items"]}

    assert ids(overdue="true") == {str(late.id)}
    assert ids(overdue="false") == {str(answered.id), str(fresh.id)}
    assert ids(category="employment") == {str(fresh.id)}
    assert ids(status="replied") == {str(answered.id)}
    assert ids(q="电焊") == {str(fresh.id)}
    assert ids(q=late.receipt_number) == {str(late.id)}
    assert client.get(f"{STAFF}/{late.id}", headers=headers).json["overdue"] is True
    assert client.get(STAFF, headers=headers, query_string={"status": "lost"}).status_code == 422


def test_township_and_month_filters(client, auth_headers, county, user):
    in_t1 = sent(client, token=issued(migrant_card(county, user, "V12"), user))
    in_t2 = sent(client, token=issued(migrant_card(county, user, "V21", name="赵"), user))
    old = sent(client, token=issued(migrant_card(county, user, "V11", name="钱"), user))
    backdate(old, 62)
    headers = auth_headers("county1")

    def ids(**query):
        body = client.get(STAFF, headers=headers, query_string=query).json
        return {item["id"] for item in body["items"]}

    assert ids(township_id=str(county.regions["T1"])) == {str(in_t1.id), str(old.id)}
    assert ids(township_id=str(county.regions["T2"])) == {str(in_t2.id)}
    month = in_t1.created_at.astimezone(SHANGHAI)
    assert ids(month=month.strftime("%Y-%m")) == {str(in_t1.id), str(in_t2.id)}


def test_stats_resolution_rate_and_time_to_reply(client, auth_headers, county, user):
    county1 = user("county1")
    items = [sent(client) for _ in range(4)]
    operations.reply(items[0], {"reply": "a"}, county1)
    operations.close(items[0], county1)
    operations.reply(items[1], {"reply": "b"}, county1)
    db.session.commit()
    backdate(items[0], 0, replied_after_hours=10)
    backdate(items[1], 0, replied_after_hours=30)
    backdate(items[3], 40)  # an earlier month, unanswered and overdue
    headers = auth_headers("county1")
    month = utcnow().astimezone(SHANGHAI)
    body = client.get(f"{STAFF}/stats", headers=headers,
                      query_string={"month": month.strftime("%Y-%m")}).json
    assert body == {"month": month.strftime("%Y-%m"), "received": 3, "open": 1, "overdue": 0,
                    "replied": 2, "closed": 1, "resolution_rate": 0.3333,
                    "mean_hours_to_reply": 20.0}
    everything = client.get(f"{STAFF}/stats", headers=headers).json
    assert (everything["received"], everything["overdue"], everything["month"]) == (4, 1, None)
    # A township officer counts what they may see: none of these anonymous forms.
    mine = client.get(f"{STAFF}/stats", headers=auth_headers("township1")).json
    assert (mine["received"], mine["resolution_rate"], mine["mean_hours_to_reply"]) == (
        0, None, None)
    bad = client.get(f"{STAFF}/stats", headers=headers, query_string={"month": "2026-13"})
    assert bad.status_code == 422 and "month" in bad.json["errors"]


def test_the_register_as_excel(client, auth_headers, card, token, user):
    with_card = sent(client, token=token, text=SCRIPT)
    formula = sent(client, category="other", text="=HYPERLINK(\"http://x\",\"点我\")")
    operations.reply(with_card, {"reply": "已答复"}, user("county1"))
    db.session.commit()
    response = client.get(f"{STAFF}/export.xlsx", headers=auth_headers("county1"))
    assert response.status_code == 200
    assert response.mimetype == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    assert "attachment" in response.headers["Content-Disposition"]
    sheet = load_workbook(BytesIO(response.data)).active
    assert sheet["A1"].value.startswith("测试县征求意见台账（截至")
    assert sheet.print_title_rows == "$2:$2" and sheet.page_setup.orientation == "landscape"
    assert sheet.auto_filter.ref.startswith("A2:")
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert rows[0][:4] == ("回执号", "收到时间", "类别", "内容")
    assert "办结期限" in rows[0] and "是否超期" in rows[0] and "答复" in rows[0]
    by_receipt = {row[0]: dict(zip(rows[0], row, strict=True)) for row in rows[1:]}
    assert set(by_receipt) == {with_card.receipt_number, formula.receipt_number}
    first = by_receipt[with_card.receipt_number]
    assert first["内容"] == SCRIPT and first["优抚对象"] == "李外出"
    assert first["连心卡号"] == card.card_number and first["状态"] == "已答复"
    cell = next(c for c in sheet["D"] if c.value == formula.text)
    assert cell.data_type == "s"  # a migrant's "=…" stays text, never a formula

    filtered = client.get(f"{STAFF}/export.xlsx", headers=auth_headers("county1"),
                          query_string={"status": "replied"})
    rows = list(load_workbook(BytesIO(filtered.data)).active.iter_rows(min_row=2, values_only=True))
    assert [row[0] for row in rows[1:]] == [with_card.receipt_number]
    assert client.get(f"{STAFF}/export.xlsx",
                      headers=auth_headers("liaison1")).status_code == 403


def test_an_oversized_form_gets_a_page_not_json(client):
    response = client.post("/f/", data={"text": "x" * 17000, "category": "other"})
    assert response.status_code == 413
    assert response.mimetype == "text/html"
    assert "内容过长" in response.get_data(as_text=True)


def test_behind_a_proxy_the_clients_address_counts():
    """With LIANXIN_PROXY_HOPS, per-IP limits key on the address nginx forwards."""
    from flask import request

    proxied = create_app(make_config("sqlite://", LIANXIN_PROXY_HOPS=1))
    proxied.add_url_rule("/_whoami", "whoami", lambda: request.remote_addr)
    answer = proxied.test_client().get("/_whoami", headers={"X-Forwarded-For": "203.0.113.7"})
    assert answer.get_data(as_text=True) == "203.0.113.7"
    direct = create_app(make_config("sqlite://"))
    direct.add_url_rule("/_whoami", "whoami", lambda: request.remote_addr)
    answer = direct.test_client().get("/_whoami", headers={"X-Forwarded-For": "203.0.113.7"})
    assert answer.get_data(as_text=True) == "127.0.0.1"
