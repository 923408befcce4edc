"""The policy library (issue #19 point 1): published by county staff, versioned,
withdrawable, on every phone by sync, and public at /f/policies."""

import io
import uuid
from html.parser import HTMLParser

import pytest
from reportlab.pdfgen import canvas

from server.extensions import db
from server.policies.models import Policy, PolicyRevision
from server.policies.rendering import render
from server.records.models import SyncChange, SyncScope
from tests import factories
from tests.sync_helpers import Phone

BODY = "## 谁能领\n\n持证的**伤残军人**。\n\n- 每月发放\n- 标准逐年提高"


def _values(**overrides):
    return {"title": "残疾军人抚恤金按月发放", "category": "preferential",
            "summary": "每月发到本人社保卡。", "body": BODY, "effective_on": "2026-01-01",
            **overrides}


def _publish(client, headers, **overrides):
    response = client.post("/api/v1/policies", json=_values(**overrides), headers=headers)
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.json


def _pdf(pages=1):
    out = io.BytesIO()
    sheet = canvas.Canvas(out)
    for number in range(pages):
        sheet.drawString(72, 720, f"page {number + 1}")
        sheet.showPage()
    sheet.save()
    return out.getvalue()


# --- rendering: no HTML from authors -------------------------------------------------------


@pytest.mark.parametrize("hostile", [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "[点我](javascript:alert(1))",
    "[点我](JaVaScRiPt:alert(1))",
    "[数据](data:text/html;base64,PHNjcmlwdD4=)",
    "<iframe src=https://evil.example></iframe>",
    "<a href=\"https://x\" onclick=\"alert(1)\">x</a>",
    "![图](https://tracker.example/p.png)",
    "<style>body{display:none}</style>",
])
def test_html_from_an_author_is_shown_as_text_never_passed_on(hostile):
    tags = _tags(render(f"说明\n\n{hostile}\n"))
    assert {name for name, _ in tags} <= {"p", "a"}
    for _name, attributes in tags:
        assert all(not key.startswith("on") and key != "style" for key, _ in attributes)
        for key, value in attributes:
            if key == "href":
                assert value.startswith(("http://", "https://", "mailto:", "tel:"))
    assert ("a", [("href", "https://x")]) not in tags  # the author's own <a> is text


def _tags(html):
    """[(tag, attributes)] of every element in ``html``, as a browser's parser sees them."""
    found = []

    class Collect(HTMLParser):
        def handle_starttag(self, tag, attrs):
            found.append((tag, attrs))

    Collect().feed(html)
    return found


def test_an_image_is_shown_as_its_words():
    html = render("见下图：![医保卡<b>样式</b>](https://tracker.example/p.png)")
    assert html == "<p>见下图：医保卡&lt;b&gt;样式&lt;/b&gt;</p>\n"


def test_markdown_renders_headings_lists_tables_and_safe_links():
    html = render("## 材料\n\n- 身份证\n\n| 对象 | 比例 |\n|---|---|\n| 一级 | 90% |\n\n"
                  "[电话](tel:12348) [网站](https://www.mva.gov.cn)")
    assert "<h3>材料</h3>" in html  # one level below the page's title
    assert "<li>身份证</li>" in html
    assert "<td>90%</td>" in html
    assert 'href="tel:12348"' in html and 'href="https://www.mva.gov.cn"' in html


# --- publishing, versions, withdrawal ----------------------------------------------------------


def test_county_staff_publish_and_every_role_may_read(client, auth_headers):
    policy = _publish(client, auth_headers("county1"))
    assert policy["version"] == 1
    assert policy["title_initials"] == "cjjrfxjayff"
    assert "<strong>伤残军人</strong>" in policy["body_html"]
    assert policy["body"] == BODY and policy["has_pdf"] is False
    listed = client.get("/api/v1/policies?q=cjjr", headers=auth_headers("township1")).json
    assert [item["id"] for item in listed["items"]] == [policy["id"]]
    assert listed["items"][0]["body"] == BODY  # the latest version's Markdown, read per page
    assert client.get("/api/v1/policies?q=抚恤金", headers=auth_headers("admin")).json["total"] == 1
    assert client.get("/api/v1/policies?category=medical",
                      headers=auth_headers("admin")).json["total"] == 0


@pytest.mark.parametrize("username", ["township1", "liaison1"])
def test_only_county_officers_and_admins_write(client, auth_headers, username):
    response = client.post("/api/v1/policies", json=_values(), headers=auth_headers(username))
    assert response.status_code == 403
    assert response.json["detail"] == "您的角色不能进行此操作"


def test_bad_input_is_refused_field_by_field_in_chinese(client, auth_headers):
    response = client.post("/api/v1/policies", headers=auth_headers("county1"), json={
        "title": "x" * 81, "category": "lottery", "summary": "  ", "body": "y" * 20_001})
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert set(response.json["errors"]) == {"title", "category", "summary", "body"}
    assert db.session.query(Policy).count() == 0


def test_a_change_is_a_new_version_and_the_old_one_is_kept(client, auth_headers, user):
    headers = auth_headers("county1")
    author = user("county1").display_name
    policy = _publish(client, headers)
    changed = client.patch(f"/api/v1/policies/{policy['id']}", headers=headers,
                           json={"summary": "每月 10 日前发到本人社保卡。"}).json
    assert changed["version"] == 2 and changed["summary"].startswith("每月 10 日")
    again = client.patch(f"/api/v1/policies/{policy['id']}", headers=headers,
                         json={"summary": "每月 10 日前发到本人社保卡。"}).json
    assert again["version"] == 2  # nothing differs: no new version
    revisions = db.session.query(PolicyRevision).filter_by(
        policy_id=uuid.UUID(policy["id"])).order_by(PolicyRevision.version).all()
    assert [(r.version, r.summary) for r in revisions] == [
        (1, "每月发到本人社保卡。"), (2, "每月 10 日前发到本人社保卡。")]
    history = client.get(f"/api/v1/policies/{policy['id']}/history", headers=headers).json
    assert [(e["action_label"], e["version"], e["by"]) for e in history] == [
        ("发布", 1, author), ("修订", 2, author)]
    assert history[1]["changes"] == {"summary": "每月 10 日前发到本人社保卡。"}
    assert factories.audit_rows(policy["id"], "update")


def test_withdrawn_policy_leaves_every_phone_and_the_public_library(client, auth_headers):
    headers = auth_headers("county1")
    policy = _publish(client, headers)
    phone = Phone(client, auth_headers("liaison1"))
    phone.pull_all()
    assert phone.ids("policy") == {policy["id"]}
    assert phone.records[("policy", policy["id"])]["summary"] == "每月发到本人社保卡。"

    withdrawn = client.post(f"/api/v1/policies/{policy['id']}/withdraw", headers=headers).json
    assert withdrawn["withdrawn"] is True and withdrawn["withdrawn_on"]
    phone.pull_all()
    assert phone.ids("policy") == set()
    assert client.get(f"/f/policies/{policy['id']}").status_code == 404
    assert "残疾军人抚恤金" not in client.get("/f/policies/").get_data(as_text=True)
    # staff still find it among the withdrawn, and cannot change it any more
    listed = client.get("/api/v1/policies?withdrawn=true", headers=headers).json
    assert [item["id"] for item in listed["items"]] == [policy["id"]]
    refused = client.patch(f"/api/v1/policies/{policy['id']}", headers=headers,
                           json={"title": "新标题"})
    assert refused.status_code == 409 and refused.json["detail"] == "该政策已撤回，不能再修改"
    actions = [e["action"] for e in client.get(f"/api/v1/policies/{policy['id']}/history",
                                                headers=headers).json]
    assert actions == ["create", "withdraw"]


def test_every_user_pulls_the_library_in_one_county_scope(client, auth_headers):
    policy = _publish(client, auth_headers("county1"))
    for username in ("liaison1", "liaison3", "township1", "county1"):
        phone = Phone(client, auth_headers(username))
        phone.pull_all()
        assert phone.ids("policy") == {policy["id"]}, username
    scope = db.session.query(SyncScope).filter_by(key="county").one()
    change = db.session.query(SyncChange).filter_by(scope_id=scope.id).one()
    assert change.entity == "policy" and change.wire is not None  # one stored text for all


def test_phones_cannot_write_policies(client, auth_headers):
    phone = Phone(client, auth_headers("liaison1"))
    result = phone.push([phone.mutation("policy", uuid.uuid4(), {"title": "假政策"})]).json
    assert result["results"][0]["status"] == "rejected"
    assert db.session.query(Policy).count() == 0


def test_a_revised_policy_reaches_the_phone_as_a_new_version(client, auth_headers):
    headers = auth_headers("county1")
    policy = _publish(client, headers)
    phone = Phone(client, auth_headers("liaison2"))
    phone.pull_all()
    client.patch(f"/api/v1/policies/{policy['id']}", headers=headers, json={"title": "抚恤金新标准"})
    phone.pull_all()
    held = phone.records[("policy", policy["id"])]
    assert (held["version"], held["title"], held["title_initials"]) == (2, "抚恤金新标准", "fxjxbz")


# --- the PDF --------------------------------------------------------------------------------


def test_a_pdf_is_checked_stored_and_served_publicly(client, auth_headers):
    headers = auth_headers("county1")
    policy = _publish(client, headers)
    url = f"/api/v1/policies/{policy['id']}/pdf"
    content = _pdf(2)
    stored = client.put(url, headers=headers, content_type="multipart/form-data",
                        data={"file": (io.BytesIO(content), "抚恤.pdf")})
    assert stored.status_code == 200, stored.get_data(as_text=True)
    assert stored.json["has_pdf"] is True and stored.json["version"] == 2
    public = client.get(f"/f/policies/{policy['id']}.pdf")
    assert public.status_code == 200 and public.mimetype == "application/pdf"
    assert public.data == content
    assert "下载 PDF 原文" in client.get(f"/f/policies/{policy['id']}").get_data(as_text=True)
    removed = client.delete(url, headers=headers)
    assert removed.json["has_pdf"] is False
    assert client.get(f"/f/policies/{policy['id']}.pdf").status_code == 404


@pytest.mark.parametrize("content, message", [
    (b"not a pdf at all", "不是有效的 PDF 文件"),
    (b"%PDF-1.7\n garbage without any page", "不是有效的 PDF 文件"),
    (b"\x89PNG\r\n\x1a\n" + bytes(100), "不是有效的 PDF 文件"),
])
def test_a_file_that_is_not_a_pdf_is_refused(client, auth_headers, content, message):
    headers = auth_headers("county1")
    policy = _publish(client, headers)
    response = client.put(f"/api/v1/policies/{policy['id']}/pdf", headers=headers,
                          content_type="multipart/form-data",
                          data={"file": (io.BytesIO(content), "x.pdf")})
    assert response.status_code == 422
    assert response.json["errors"] == {"file": [message]}
    assert db.session.get(Policy, uuid.UUID(policy["id"])).has_pdf is False


def test_a_pdf_over_the_limit_is_refused(app, client, auth_headers):
    app.config["LIANXIN_POLICY_PDF_MAX_BYTES"] = 50_000
    try:
        headers = auth_headers("county1")
        policy = _publish(client, headers)
        big = _pdf() + b"%" + b"x" * 60_000
        response = client.put(f"/api/v1/policies/{policy['id']}/pdf", headers=headers,
                              content_type="multipart/form-data",
                              data={"file": (io.BytesIO(big), "big.pdf")})
        assert response.status_code == 413
        assert "不能超过" in response.json["detail"]
    finally:
        app.config["LIANXIN_POLICY_PDF_MAX_BYTES"] = 10 * 1024 * 1024


def test_a_pdf_larger_than_other_requests_may_still_be_uploaded(client, auth_headers):
    """The body limit of every other request (MAX_CONTENT_LENGTH, 6 MB) is not the PDF's."""
    headers = auth_headers("county1")
    policy = _publish(client, headers)
    content = _pdf() + b"%" + b"x" * (7 * 1024 * 1024)
    response = client.put(f"/api/v1/policies/{policy['id']}/pdf", headers=headers,
                          content_type="multipart/form-data",
                          data={"file": (io.BytesIO(content), "reader.pdf")})
    assert response.status_code == 200, response.get_data(as_text=True)[:300]


# --- the public pages ---------------------------------------------------------------------------


def test_the_public_library_needs_no_login_and_escapes_everything(client, auth_headers):
    headers = auth_headers("county1")
    _publish(client, headers, title="<b>医疗</b>补助", category="medical",
             summary="<script>alert(1)</script>", body="正文 <img src=x onerror=alert(1)>")
    page = client.get("/f/policies/")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "<script>alert(1)" not in text and "<b>医疗</b>" not in text
    assert "&lt;b&gt;医疗&lt;/b&gt;补助" in text and "医疗保障" in text
    link = text.split('data-testid="policy-link"')[0].rsplit('href="', 1)[1].split('"')[0]
    detail = client.get(link).get_data(as_text=True)
    assert "<img" not in detail and "&lt;img src=x onerror=alert(1)&gt;" in detail
    assert "<script" not in detail


def test_the_public_library_is_searchable_without_javascript(client, auth_headers):
    headers = auth_headers("county1")
    _publish(client, headers)
    _publish(client, headers, title="法律援助优先", category="legal")
    by_initials = client.get("/f/policies/?q=flyz").get_data(as_text=True)
    assert "法律援助优先" in by_initials and "残疾军人抚恤金" not in by_initials
    by_category = client.get("/f/policies/?category=preferential").get_data(as_text=True)
    assert "残疾军人抚恤金" in by_category and "法律援助优先" not in by_category
    none = client.get("/f/policies/?q=zzzz").get_data(as_text=True)
    assert "没有找到符合条件的政策" in none
    assert "<script" not in client.get("/f/policies/?q=<script>").get_data(as_text=True)


def test_public_pages_are_asked_for_again_so_a_withdrawal_shows_at_once(client, auth_headers):
    policy = _publish(client, auth_headers("county1"))
    for path in ("/f/policies/", f"/f/policies/{policy['id']}"):
        assert client.get(path).headers["Cache-Control"] == "public, no-cache"


def test_the_feedback_form_and_status_page_link_to_the_library(client):
    for path in ("/f/", "/f/status"):
        assert 'href="/f/policies/"' in client.get(path).get_data(as_text=True), path


def test_preview_renders_without_saving(client, auth_headers):
    response = client.post("/api/v1/policies/preview", headers=auth_headers("county1"),
                           json={"body": "**粗体** <script>x</script>"})
    assert response.json["body_html"] == "<p><strong>粗体</strong> &lt;script&gt;x&lt;/script&gt;</p>\n"
    assert db.session.query(Policy).count() == 0
