"""连心卡: printing as PDF, the QR token's life, and the form the QR code opens."""

import hashlib
import re
import socket
import threading
from io import BytesIO
from pathlib import Path

import pypdfium2
import pytest
import zxingcpp
from pypdf import PdfReader
from sqlalchemy import select

from server.beneficiaries.models import Beneficiary
from server.contacts import operations as contacts
from server.contacts import printing
from server.contacts.tokens import card_for_token, token_hash
from server.extensions import db
from server.feedback.models import Feedback
from server.records.models import AuditEntry
from server.records.versioning import REDACTED, update_record
from server.users.models import User
from tests import factories
from tests.apps import PUBLIC_BASE_URL

PRINT = "/api/v1/contact-cards/print.pdf"
CARDS = "/api/v1/contact-cards"
BASE = PUBLIC_BASE_URL
HOTLINES = ("县民政局局长", "0839-8000001", "优抚股", "维权办", "广州救助维权中心",
            "020-80000001", "上海救助维权中心", "021-60000001")
TOKEN_URL = re.compile(rf"^{re.escape(BASE)}/f/([A-Za-z0-9_-]{{32}})$")
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


def make_card(county, user, village="V11", name="李外出", **values):
    person = factories.beneficiary(county.regions[village], user("admin"), name=name,
                                   is_migrant=True, work_city="广州")
    card = contacts.create_card({"beneficiary_id": person.id, **values}, user("admin"))
    db.session.commit()
    return card


def pdf_text(data):
    return "\n".join(page.extract_text() for page in PdfReader(BytesIO(data)).pages)


def qr_urls(data, scale=200 / 72):
    """Every QR code on every page, read from the rendered pages as a phone camera would."""
    document = pypdfium2.PdfDocument(data)
    try:
        urls = []
        for page in document:
            image = page.render(scale=scale).to_pil()
            urls += [code.text for code in zxingcpp.read_barcodes(image)
                     if code.format == zxingcpp.BarcodeFormat.QRCode]
            page.close()
        return urls
    finally:
        document.close()


def print_pdf(client, headers, **query):
    response = client.post(PRINT, headers=headers, query_string=query)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response


# --- printing ---------------------------------------------------------------------------------


def test_a_villages_cards_as_pdf(client, auth_headers, county, user):
    first = make_card(county, user, name="李外出")
    second = make_card(county, user, name="王务工")
    elsewhere = make_card(county, user, "V12", name="孙邻村")
    response = print_pdf(client, auth_headers("township1"), village_id=county.regions["V11"])
    assert response.mimetype == "application/pdf"
    assert response.headers["X-Cards-Printed"] == "2"
    assert "attachment" in response.headers["Content-Disposition"]
    reader = PdfReader(BytesIO(response.data))
    assert len(reader.pages) == 1
    width, height = (float(v) for v in reader.pages[0].mediabox.upper_right)
    assert (round(width), round(height)) == (595, 842)  # A4 in points
    text = pdf_text(response.data)
    for expected in ("连心卡", "测试县民政局", "李外出", "王务工", first.card_number,
                     second.card_number, *HOTLINES):
        assert expected in text
    assert "孙邻村" not in text and elsewhere.card_number not in text
    # the public policy library's short address, on every card (issue #19)
    address = BASE.split("://", 1)[1].rstrip("/") + "/f/policies"
    assert text.count(f"法规政策 {address}") == 2


def test_each_card_names_its_villages_liaison_for_a_lost_card(client, auth_headers, county,
                                                               user):
    user("liaison1").display_name, user("liaison1").phone = "张联络", "13900001234"
    user("liaison2").active = False  # a village without an active liaison
    db.session.commit()
    make_card(county, user, name="李外出")
    make_card(county, user, "V12", name="孙邻村")
    text = pdf_text(print_pdf(client, auth_headers("township1"),
                              township_id=county.regions["T1"]).data)
    assert text.count("遗失补办请找联络员 张联络 13900001234") == 1
    assert text.count("遗失请联系村民政信息联络员补办") == 1  # V12's card: no name to give


def test_nothing_is_printed_while_the_public_address_is_the_loopback_default(
        app, client, auth_headers, county, user, monkeypatch):
    monkeypatch.setitem(app.config, "LIANXIN_PUBLIC_BASE_URL", "http://127.0.0.1:5000/")
    card = make_card(county, user)
    headers = auth_headers("township1")
    refused = client.post(PRINT, headers=headers, query_string={"card_id": card.id})
    assert refused.status_code == 409 and refused.json["code"] == "public_url_not_set"
    assert "LIANXIN_PUBLIC_BASE_URL" in refused.json["detail"] and "127.0.0.1" in refused.json["detail"]
    db.session.refresh(card)
    assert card.token_hash is None and card.version == 1  # nothing issued, nothing revoked
    shown = client.get(f"{CARDS}/print-preview", headers=headers,
                       query_string={"village_id": county.regions["V11"]}).json
    assert shown["can_print"] is False and shown["problem"] == refused.json["detail"]


def test_the_preview_counts_what_a_print_run_revokes(client, auth_headers, county, user):
    handed_out = make_card(county, user, name="李外出")
    print_pdf(client, auth_headers("township1"), card_id=handed_out.id)
    make_card(county, user, name="王务工")
    neighbour = make_card(county, user, "V12", name="孙邻村")
    headers = auth_headers("township1")
    print_pdf(client, headers, card_id=neighbour.id)
    preview = lambda **query: client.get(f"{CARDS}/print-preview", headers=headers,  # noqa: E731
                                         query_string=query)
    village = preview(village_id=county.regions["V11"])
    assert village.status_code == 200
    assert village.json == {"area": "一号镇甲村", "cards": 2, "revokes": 1, "never_printed": 1,
                            "public_base_url": BASE, "can_print": True, "problem": None}
    assert preview(township_id=county.regions["T1"]).json["cards"] == 3
    fresh = preview(village_id=county.regions["V11"], only_unprinted="true").json
    assert (fresh["cards"], fresh["revokes"]) == (1, 0)
    db.session.refresh(handed_out)
    assert handed_out.version == 2  # the preview itself changed nothing
    assert preview(township_id=county.regions["T2"]).status_code in (403, 422)
    empty = preview(village_id=county.regions["V12"], only_unprinted="true").json
    assert preview(village_id=county.regions["V12"]).json["revokes"] == 1
    assert (empty["cards"], empty["can_print"], empty["problem"]) == (0, False, "没有可打印的连心卡")
    assert preview().status_code == 422


def test_the_qr_codes_open_the_form_with_each_cards_token(client, auth_headers, county, user):
    cards = [make_card(county, user, name=f"外出{i}") for i in range(3)]
    response = print_pdf(client, auth_headers("county1"), village_id=county.regions["V11"])
    urls = qr_urls(response.data)
    assert len(urls) == 3
    tokens = [TOKEN_URL.match(url).group(1) for url in urls]
    assert {card_for_token(token).id for token in tokens} == {card.id for card in cards}
    for token in tokens:
        page = client.get(f"/f/{token}")
        assert page.status_code == 200
        assert "连心卡" in page.get_data(as_text=True)


def test_a_township_prints_several_pages(client, auth_headers, county, user):
    for i in range(7):
        make_card(county, user, "V11", name=f"甲村{i}")
    for i in range(5):
        make_card(county, user, "V12", name=f"乙村{i}")
    make_card(county, user, "V21", name="丙村人")
    response = print_pdf(client, auth_headers("township1"), township_id=county.regions["T1"])
    assert response.headers["X-Cards-Printed"] == "12"
    assert len(PdfReader(BytesIO(response.data)).pages) == 2
    text = pdf_text(response.data)
    assert "甲村6" in text and "乙村4" in text and "丙村人" not in text
    assert len(qr_urls(response.data)) == 12


def test_one_persons_card(client, auth_headers, county, user):
    card = make_card(county, user, name="欧阳一个很长很长很长的名字的外出人")
    other = make_card(county, user, name="王务工")
    response = print_pdf(client, auth_headers("township1"), card_id=card.id)
    assert response.headers["X-Cards-Printed"] == "1"
    text = pdf_text(response.data)
    assert card.card_number in text and other.card_number not in text
    assert "欧阳" in text  # a long name is shortened to fit, never dropped
    [url] = qr_urls(response.data)
    assert card_for_token(TOKEN_URL.match(url).group(1)).id == card.id


def test_configured_hotlines_and_address(app, client, auth_headers, county, user, monkeypatch):
    monkeypatch.setitem(app.config, "LIANXIN_HOTLINES",
                        [{"label": "县退役军人事务局", "number": "0839-1234567"}])
    monkeypatch.setitem(app.config, "LIANXIN_PUBLIC_BASE_URL", "https://lianxin.example.cn/")
    card = make_card(county, user)
    response = print_pdf(client, auth_headers("county1"), card_id=card.id)
    text = pdf_text(response.data)
    assert "县退役军人事务局" in text and "0839-1234567" in text and "维权办" not in text
    [url] = qr_urls(response.data)
    assert re.fullmatch(r"https://lianxin\.example\.cn/f/[A-Za-z0-9_-]{32}", url)


def test_who_may_print_what(client, auth_headers, county, user):
    make_card(county, user, "V21")
    township1 = auth_headers("township1")
    for query, field in (({"village_id": county.regions["V21"]}, "village_id"),
                         ({"township_id": county.regions["T2"]}, "township_id"),
                         ({"township_id": county.regions["V11"]}, "township_id"),
                         ({}, "card_id"),
                         ({"village_id": county.regions["V11"],
                           "township_id": county.regions["T1"]}, "card_id")):
        response = client.post(PRINT, headers=township1, query_string=query)
        assert response.status_code == 422, query
        assert field in response.json["errors"]
    nothing = client.post(PRINT, headers=township1, query_string={
        "village_id": county.regions["V12"]})
    assert nothing.status_code == 422
    assert nothing.json["errors"]["village_id"] == ["没有可打印的连心卡"]
    liaison = client.post(PRINT, headers=auth_headers("liaison1"),
                         query_string={"village_id": county.regions["V11"]})
    assert liaison.status_code == 403


def test_cards_of_people_no_longer_active_are_left_out(client, auth_headers, county, user):
    make_card(county, user, name="在册人")
    gone = make_card(county, user, name="已故人")
    person = db.session.get(Beneficiary, gone.beneficiary_id)
    update_record(person, {"status": "deceased"}, user("admin"))
    db.session.commit()
    response = print_pdf(client, auth_headers("county1"), village_id=county.regions["V11"])
    text = pdf_text(response.data)
    assert "在册人" in text and "已故人" not in text


# --- the token's life ---------------------------------------------------------------------------


def test_printing_issues_a_new_token_and_revokes_the_old(client, auth_headers, county, user):
    card = make_card(county, user)
    headers = auth_headers("county1")
    [first] = qr_urls(print_pdf(client, headers, card_id=card.id).data)
    [second] = qr_urls(print_pdf(client, headers, card_id=card.id).data)
    old, new = (TOKEN_URL.match(url).group(1) for url in (first, second))
    assert old != new
    assert card_for_token(old) is None and card_for_token(new).id == card.id
    assert client.get(f"/f/{old}").status_code == 404
    refused = client.post("/api/v1/feedback/public",
                          json={"category": "policy", "text": "x", "token": old,
                                "stamp": factories.public_stamp()})
    assert refused.status_code == 422 and "token" in refused.json["errors"]


def test_only_unprinted_cards_keep_the_others_tokens(client, auth_headers, county, user):
    handed_out = make_card(county, user, name="已发卡")
    headers = auth_headers("county1")
    [url] = qr_urls(print_pdf(client, headers, card_id=handed_out.id).data)
    newcomer = make_card(county, user, name="新登记")
    response = print_pdf(client, headers, village_id=county.regions["V11"], only_unprinted="true")
    text = pdf_text(response.data)
    assert "新登记" in text and "已发卡" not in text
    assert card_for_token(TOKEN_URL.match(url).group(1)).id == handed_out.id
    [new_url] = qr_urls(response.data)
    assert card_for_token(TOKEN_URL.match(new_url).group(1)).id == newcomer.id


def test_reissue_revokes_the_old_token(client, auth_headers, county, user, today):
    card = make_card(county, user)
    headers = auth_headers("township1")
    first = client.post(f"{CARDS}/{card.id}/reissue", headers=headers)
    assert first.status_code == 200
    body = first.json
    assert body["feedback_url"] == f"{BASE}/f/{body['token']}"
    assert body["card"]["issued_on"] == today.isoformat()
    assert "token_hash" not in body["card"]
    second = client.post(f"{CARDS}/{card.id}/reissue", headers=headers).json
    assert card_for_token(body["token"]) is None
    assert card_for_token(second["token"]).id == card.id
    assert second["card"]["version"] == body["card"]["version"] + 1
    assert client.post(f"{CARDS}/{card.id}/reissue",
                       headers=auth_headers("liaison1")).status_code == 403


def test_tokens_are_random_and_kept_only_as_a_hash(client, auth_headers, county, user):
    cards = [make_card(county, user, name=f"外出{i}") for i in range(4)]
    headers = auth_headers("county1")
    tokens = {}
    for card in cards:
        tokens[card.id] = client.post(f"{CARDS}/{card.id}/reissue", headers=headers).json["token"]
    assert len(set(tokens.values())) == len(cards)
    for card in cards:
        token = tokens[card.id]
        db.session.refresh(card)
        assert re.fullmatch(r"[A-Za-z0-9_-]{32}", token)
        assert card.token_hash == hashlib.sha256(token.encode()).hexdigest() == token_hash(token)
        # Nothing of the card is in its token, and the token is not stored anywhere.
        for part in (card.card_number, card.card_number[-6:], str(card.id).replace("-", "")[:8],
                     str(card.beneficiary_id)[:8], card.issued_on.strftime("%Y%m%d")):
            assert part not in token
        audits = db.session.scalars(select(AuditEntry).where(
            AuditEntry.record_id == str(card.id), AuditEntry.action == "reissue_card")).all()
        assert [a.changes["token_hash"][1] for a in audits] == [REDACTED]
        assert token not in str([a.changes for a in audits])
    # The register never shows a token or its hash.
    register = client.get(CARDS, headers=headers).get_data(as_text=True)
    assert "token" not in register
    assert not any(t in register for t in tokens.values())


def test_one_cards_token_shows_nothing_of_another_person(client, auth_headers, county, user):
    mine = make_card(county, user, name="李外出", phone="13711112222")
    theirs = make_card(county, user, "V21", name="赵另人", phone="13655556666")
    headers = auth_headers("county1")
    token = client.post(f"{CARDS}/{mine.id}/reissue", headers=headers).json["token"]
    client.post(f"{CARDS}/{theirs.id}/reissue", headers=headers)
    page = client.get(f"/f/{token}").get_data(as_text=True)
    for secret in ("赵另人", theirs.card_number, "13655556666", "李外出", "13711112222"):
        assert secret not in page
    sent = client.post("/api/v1/feedback/public",
                       json={"category": "policy", "text": "x", "token": token,
                             "stamp": factories.public_stamp()})
    assert set(sent.json) == {"receipt_number", "status", "deadline", "trackable"}
    feedback = db.session.scalar(select(Feedback))
    assert (feedback.card_id, feedback.beneficiary_id) == (mine.id, mine.beneficiary_id)


# --- the contact register -----------------------------------------------------------------------


def test_the_register_filters_by_work_province(client, auth_headers, county, user):
    in_guangdong = make_card(county, user, name="粤务工", work_province="广东")
    make_card(county, user, name="沪务工", work_province="上海")
    body = client.get(CARDS, headers=auth_headers("township1"),
                      query_string={"work_province": "广东",
                                    "township_id": county.regions["T1"]}).json
    assert [item["id"] for item in body["items"]] == [str(in_guangdong.id)]
    assert body["items"][0]["work_province"] == "广东"


# --- the public form in a real browser, from the QR code of a printed card ----------------------


def _free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def live_server(backend, databases):
    """The app on a port of its own, over a committed database of its own (not the
    test's rolled-back connection), with one migrant's card."""
    from werkzeug.serving import make_server

    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    with databases.committed_app(backend, "cards", LIANXIN_PUBLIC_BASE_URL=base,
                                 LIANXIN_FEEDBACK_MIN_SECONDS=0) as app:
        with app.app_context():
            ids = app.extensions["lianxin_test_county"]
            admin = db.session.get(User, ids.users["admin"])
            person = factories.beneficiary(ids.regions["V11"], admin, name="李外出",
                                           is_migrant=True, work_city="广州")
            card = contacts.create_card({"beneficiary_id": person.id, "phone": "13711112222"},
                                        admin)
            db.session.commit()
            pdf, _label, _count = printing.print_cards({"card_id": card.id}, admin)
            db.session.commit()
            card_id = card.id
            db.session.remove()
        server = make_server("127.0.0.1", port, app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield app, base, pdf, card_id
        finally:
            server.shutdown()
            thread.join(timeout=10)


@pytest.mark.browser
def test_the_form_from_the_qr_code_at_360_px(live_server, new_context):
    app, base, pdf, card_id = live_server
    [url] = qr_urls(pdf)
    assert re.fullmatch(rf"{re.escape(base)}/f/[A-Za-z0-9_-]{{32}}", url)
    ARTIFACTS.mkdir(exist_ok=True)
    context = new_context(app, viewport={"width": 360, "height": 720},
                          device_scale_factor=2, is_mobile=True, has_touch=True)
    page = context.new_page()
    problems = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on("response", lambda r: problems.append(f"{r.status} {r.url}")
            if r.status >= 400 else None)
    page.goto(url)
    assert page.title() == "征求意见表 · 连心"
    assert "通过连心卡" in page.locator(".card").inner_text()
    trap = page.locator("#website").bounding_box()  # the honeypot: off screen
    assert trap["x"] + trap["width"] <= 0
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.screenshot(path=str(ARTIFACTS / "feedback-form-360.png"), full_page=True)

    page.get_by_label("维权求助").check()
    page.fill("#text", "<script>alert(1)</script> 工资被拖欠三个月")
    page.fill("#city", "东莞")
    page.get_by_role("button", name="提交").click()
    page.wait_for_url(re.compile(r"/f/sent\?"))
    receipt = page.locator(".receipt").inner_text().strip()
    assert re.fullmatch(r"FK\d{14}", receipt)
    page.screenshot(path=str(ARTIFACTS / "feedback-sent-360.png"), full_page=True)

    page.get_by_role("link", name="查询办理进度").click()
    assert page.input_value("#receipt") == receipt
    page.fill("#phone", "13711112222")  # the card's phone: none was typed in the form
    page.get_by_role("button", name="查询").click()
    page.wait_for_selector(".result")
    shown = page.locator(".result .text").first.inner_text()
    assert shown == "<script>alert(1)</script> 工资被拖欠三个月"  # shown as text
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.screenshot(path=str(ARTIFACTS / "feedback-status-360.png"), full_page=True)
    assert problems == []
    with app.app_context():
        feedback = db.session.scalar(select(Feedback).where(Feedback.receipt_number == receipt))
        assert (feedback.card_id, feedback.city, feedback.category) == (card_id, "东莞", "rights")
        db.session.remove()
