"""建档导入 (issue 18) in a real Chromium against the live server: a county's clerk goes from
spreadsheets made with openpyxl to printed enrollment slips with the staff screens alone.

① 地区: the template, a 统计用区划代码 sheet checked (its bad row shown by row and column),
then imported. ② 花名册: a roster with a title row above the header and a bad ID number,
checked as a background job with progress, the marked workbook downloaded, the sheet fixed
and uploaded again, imported; an unreadable file said beside the file input. ③ 联络员登录单:
an account for the new village's liaison, its slip printed as a PDF, a slip revoked, and
no printing while the public address is the loopback default. ④ The new village's liaison
scans the printed slip on a phone and has the imported people, offline too. The result screens pass
axe-core and fit a 360-px phone at 100/130/150 % text.

"""

from io import BytesIO
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook
from pypdf import PdfReader

from tests import factories
from tests.apps import PUBLIC_BASE_URL
from tests.browser.conftest import screenshot
from tests.browser.test_accessibility import SIZES, Findings
from tests.browser.test_enrollment import PHONE, READY
from tests.browser.test_staff import staff_log_in
from tests.test_cards import qr_urls

# a township and a village of its own for this module, by their 统计用区划代码
# (the test county is 510800: its 12-digit form is 510800000000, a township 510800YYY000)
TOWNSHIP_CODE, VILLAGE_CODE = "510800103000", "510800103001"
TOWNSHIP_NAME, VILLAGE_NAME = "三号镇", "三号镇丁村"


@pytest.fixture
def desk(new_context, live_app):
    return new_context(live_app, viewport={"width": 1280, "height": 860}, accept_downloads=True,
                       bypass_csp=True)


@pytest.fixture
def narrow(new_context, live_app):
    """A township officer on a 360-px phone (axe's script let in past the CSP)."""
    return new_context(live_app, viewport={"width": 360, "height": 640}, device_scale_factor=2,
                       is_mobile=True, has_touch=True, accept_downloads=True, bypass_csp=True)


def workbook_bytes(rows):
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    out = BytesIO()
    book.save(out)
    return out.getvalue()


def upload(name, data):
    return {"name": name, "mimeType": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "buffer": data}


def check_screen(page, findings, screen):
    """axe-core as it is, then the screen on a 360-px phone at each text size."""
    findings.check_axe(page, screen)
    size = page.viewport_size
    page.set_viewport_size({"width": 360, "height": 640})
    try:
        findings.check_sizes(page, screen, SIZES, shots=False)
    finally:
        page.set_viewport_size(size)


def counts(page, testid):
    return {key: int(page.get_by_test_id(f"{testid}-{key}").get_attribute("data-count"))
            for key in page.get_by_test_id(f"{testid}-counts").evaluate(
                "(ul) => [...ul.children].map((li) => li.dataset.testid.split('-').pop())")}


def error_rows(page, testid):
    return [[cell.inner_text() for cell in row.locator("td").all()]
            for row in page.get_by_test_id(f"{testid}-row").all()]


def region_names(api):
    return {r["name"] for r in api("get", "/api/v1/regions", "admin").json}


def test_a_clerk_imports_regions_and_roster_and_prints_slips(
        live_server, live_app, desk, new_context, api):
    findings = Findings()
    page = desk.new_page()
    staff_log_in(page, live_server, "admin")
    page.get_by_test_id("nav-onboarding").click()
    page.get_by_test_id("onboarding-page").wait_for()
    page.get_by_test_id("overview-regions").click()
    page.get_by_test_id("onboarding-regions").wait_for()

    # ① 地区: the template, then a sheet checked before anything changes
    with page.expect_download() as info:
        page.get_by_test_id("regions-template").click()
    assert info.value.suggested_filename == "统计用区划代码模板.xlsx"
    template = load_workbook(BytesIO(Path(info.value.path()).read_bytes())).worksheets[0]
    cells = [c.value for row in template.iter_rows(max_row=5) for c in row]
    assert "统计用区划代码" in cells and "名称" in cells
    regions_sheet = workbook_bytes([
        ["统计用区划代码", "名称", "级别", "上级代码"],
        [TOWNSHIP_CODE, TOWNSHIP_NAME, None, None],
        [VILLAGE_CODE, VILLAGE_NAME, None, None],
        ["51080A", "错码村", None, None],
    ])
    page.get_by_test_id("regions-file").set_input_files(upload("区划.xlsx", regions_sheet))
    page.get_by_test_id("regions-check").click()
    page.get_by_test_id("regions-check-created").wait_for()
    assert counts(page, "regions-check")["created"] == 2
    bad = error_rows(page, "regions-errors")
    assert ["4", "统计用区划代码"] in [row[:2] for row in bad], bad
    assert {row[0] for row in bad} == {"4"}, bad  # the good rows have none
    assert VILLAGE_NAME not in region_names(api)  # a dry run changes nothing
    page.get_by_test_id("regions-apply").click()
    page.get_by_test_id("regions-done-created").wait_for()
    assert counts(page, "regions-done")["created"] == 2
    assert {TOWNSHIP_NAME, VILLAGE_NAME} <= region_names(api)
    screenshot(page, "onboarding-regions-desk")

    # ② 花名册: an unreadable file first, said beside the file input
    page.get_by_test_id("step-roster").click()
    page.get_by_test_id("onboarding-roster").wait_for()
    page.get_by_test_id("roster-file").set_input_files(upload("坏文件.xlsx", b"this is not a workbook"))
    page.get_by_test_id("roster-check").click()
    error = page.get_by_test_id("roster-file-error")
    error.wait_for()
    assert error.inner_text().strip()
    assert page.get_by_test_id("roster-file").get_attribute("aria-invalid") == "true"

    # the county's own ledger: a title row above the header, one ID number mistyped
    good = [(f"导入{n}", factories.id_number()) for n in range(2)]
    wrong_id = factories.id_number()
    wrong_id = wrong_id[:-1] + ("0" if wrong_id[-1] != "0" else "1")
    fixed_id = factories.id_number()

    def roster(third_id):
        return workbook_bytes([
            ["测试县优抚对象花名册（2026年）"],
            ["姓名", "身份证号", "优抚类别", "村（居）代码", "联系电话", "住址"],
            *[[name, number, "在乡老复员军人", VILLAGE_CODE, "13800138000", "一组"] for name, number in good],
            ["导入错", third_id, "在乡老复员军人", VILLAGE_CODE, "13800138001", "二组"],
        ])

    page.get_by_test_id("roster-file").set_input_files(upload("甲村花名册.xlsx", roster(wrong_id)))
    assert page.get_by_test_id("roster-file-error").is_hidden()
    page.get_by_test_id("roster-check").click()
    page.locator("[data-testid=roster-job-card][data-status=done]").wait_for(timeout=30000)
    assert counts(page, "roster-check") == {"created": 2, "updated": 0, "unchanged": 0, "refused": 1}
    bad = error_rows(page, "roster-errors")
    assert [row[:2] for row in bad] == [["5", "身份证号"]], bad  # Excel's row number
    assert page.get_by_test_id("roster-apply").inner_text() == "导入正确的 2 行"
    assert not api("get", "/api/v1/beneficiaries?q=导入0", "admin").json["items"]
    check_screen(page, findings, "roster-checked")
    with page.expect_download() as info:
        page.get_by_test_id("roster-report").click()
    assert info.value.suggested_filename == "甲村花名册（已标注问题）.xlsx"
    marked = load_workbook(BytesIO(Path(info.value.path()).read_bytes())).worksheets[0]
    assert "错误说明" in [c.value for row in marked.iter_rows(max_row=3) for c in row]
    screenshot(page, "onboarding-roster-errors-desk")

    # fixed and uploaded again: 修改后重新上传 opens the file dialog
    with page.expect_file_chooser() as chooser:
        page.get_by_test_id("roster-reupload").click()
    chooser.value.set_files(upload("甲村花名册（改）.xlsx", roster(fixed_id)))
    page.get_by_test_id("roster-check").click()
    page.locator("[data-testid=roster-job-card][data-status=done][data-dry-run=true]"
                 "[data-id]").filter(has_text="甲村花名册（改）").wait_for(timeout=30000)
    assert counts(page, "roster-check") == {"created": 3, "updated": 0, "unchanged": 0, "refused": 0}
    page.get_by_test_id("roster-apply").click()
    page.locator("[data-testid=roster-job-card][data-status=done][data-dry-run=false]").wait_for(timeout=30000)
    assert counts(page, "roster-done")["created"] == 3
    for name in ("导入0", "导入1", "导入错"):
        assert api("get", f"/api/v1/beneficiaries?q={name}", "admin").json["items"], name
    rows = page.get_by_test_id("roster-import-row")
    assert rows.count() >= 3 and "导入" in rows.first.inner_text()
    check_screen(page, findings, "roster-imported")

    # ③ 联络员登录单: an account for the village without a liaison, then its slip
    page.get_by_test_id("step-liaisons").click()
    page.get_by_test_id("onboarding-liaisons").wait_for()
    page.get_by_test_id("accounts-check").click()
    page.get_by_test_id("accounts-check-created").wait_for()
    would = error_rows(page, "accounts-created")
    assert [row[0] for row in would] == [VILLAGE_NAME], would  # every other village has one
    page.get_by_test_id("accounts-create").click()
    page.get_by_test_id("accounts-created-note").wait_for()
    username = error_rows(page, "accounts-created")[0][2]
    new_row = page.get_by_test_id("slip-row").filter(has_text=username)
    new_row.wait_for()
    assert new_row.get_by_test_id("slip-state").inner_text() == "未打印"
    check_screen(page, findings, "liaisons-admin")
    page.get_by_test_id("slips-only-without").click()
    assert new_row.get_by_test_id("slip-pick").is_checked()
    # only the new one
    page.get_by_test_id("slips-all").check()
    page.get_by_test_id("slips-all").uncheck()
    new_row.get_by_test_id("slip-pick").check()
    with page.expect_download() as info:
        page.get_by_test_id("slips-print").click()
    assert info.value.suggested_filename == "联络员登录单-全部.pdf"
    pdf = PdfReader(Path(info.value.path()))
    assert len(pdf.pages) >= 1 and username in "\n".join(p.extract_text() for p in pdf.pages)
    page.get_by_test_id("slips-printed").wait_for()
    assert new_row.get_by_test_id("slip-state").inner_text().startswith("有效至")
    screenshot(page, "onboarding-slips-desk")
    findings.assert_clean()

    # ④ the new village's liaison scans the printed slip: signed in, the imported people
    # on the phone, and still there offline after a reload
    [url] = qr_urls(Path(info.value.path()).read_bytes())  # as a phone camera reads it
    assert url.startswith(f"{PUBLIC_BASE_URL}/#/enroll/"), url
    phone = new_context(live_app, **PHONE).new_page()
    phone.goto(live_server + url[len(PUBLIC_BASE_URL):])
    phone.get_by_test_id("visit-list").wait_for(timeout=30000)
    phone.locator(READY).wait_for(timeout=30000)
    phone.context.set_offline(True)
    phone.reload()
    phone.get_by_test_id("visit-list").wait_for()
    for name in ("导入0", "导入1", "导入错"):
        phone.get_by_test_id("search").fill(name)
        phone.get_by_test_id("person-row").filter(has_text=name).first.wait_for()
    phone.get_by_test_id("search").fill("")
    screenshot(phone, "onboarding-liaison-offline-360")


def test_a_township_officer_reissues_a_slip_on_a_phone(live_server, live_app, narrow, api):
    findings = Findings()
    page = narrow.new_page()
    staff_log_in(page, live_server, "township1")
    page.evaluate("() => { location.hash = '#/onboarding'; }")
    page.get_by_test_id("onboarding-page").wait_for()
    assert page.get_by_test_id("overview-regions").count() == 0  # an admin's step
    page.get_by_test_id("overview-liaisons").click()
    page.get_by_test_id("onboarding-liaisons").wait_for()
    assert page.get_by_test_id("accounts-section").count() == 0
    assert page.get_by_test_id("filter-township").count() == 0  # their own township only
    rows = page.get_by_test_id("slip-row")
    rows.first.wait_for()
    villages = {row.locator("td").nth(3).inner_text() for row in rows.all()}
    assert villages and all("一号镇" in v for v in villages), villages
    liaison = rows.filter(has_text="liaison1")
    liaison.get_by_test_id("slip-pick").check()
    page.get_by_test_id("slips-sign-out").check()
    page.once("dialog", lambda dialog: dialog.accept())
    with page.expect_download() as info:
        page.get_by_test_id("slips-print").click()
    assert info.value.suggested_filename == "联络员登录单-一号镇.pdf"
    assert Path(info.value.path()).read_bytes()[:5] == b"%PDF-"
    page.get_by_test_id("slips-printed").wait_for()
    assert liaison.get_by_test_id("slip-state").inner_text().startswith("有效至")
    check_screen(page, findings, "liaisons-township-360")
    screenshot(page, "onboarding-slips-360")

    # revoked after asking
    page.once("dialog", lambda dialog: dialog.accept())
    liaison.get_by_test_id("slip-revoke").click()
    page.get_by_test_id("slips-revoked").wait_for()
    assert liaison.get_by_test_id("slip-state").inner_text() == "已作废"

    # no printing while the public address is the loopback default: the card screen's words
    saved = live_app.config["LIANXIN_PUBLIC_BASE_URL"]
    live_app.config["LIANXIN_PUBLIC_BASE_URL"] = "http://127.0.0.1:5000"
    try:
        liaison.get_by_test_id("slip-pick").check()
        page.get_by_test_id("slips-print").click()
        problem = page.get_by_test_id("staff-error")
        problem.wait_for()
        assert "LIANXIN_PUBLIC_BASE_URL" in problem.inner_text() and "打不开" in problem.inner_text()
        assert liaison.get_by_test_id("slip-pick").is_checked()  # nothing lost
        check_screen(page, findings, "liaisons-refused-360")
    finally:
        live_app.config["LIANXIN_PUBLIC_BASE_URL"] = saved
    findings.assert_clean()
