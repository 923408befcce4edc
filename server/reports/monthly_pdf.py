"""The bureau's monthly report (月报) as a PDF: one page per township.

Each page: visit completion (应访、已访、完成率) by village, what is overdue, the
mediation cases, and the migrants' feedback. County staff get a summary page of all
townships first. Chinese text uses reportlab's CID font ``STSong-Light``: the PDF
names the font and the reader supplies it, so nothing is embedded.

The counts come from the dashboard's queries, run once for the whole area and split
by township here.
"""

from io import BytesIO

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle
from sqlalchemy import func, select

from .. import scope
from ..common.choices import MEDIATION_STATUS
from ..common.timeutil import county_today, county_zone, month_bounds, utcnow
from ..extensions import db
from ..feedback import operations as feedback
from ..mediation.models import MediationCase
from ..regions.models import Region
from ..visits.coverage import basis_of
from . import dashboard

FONT = "STSong-Light"
GRID = colors.Color(0.55, 0.55, 0.55)
HEAD = colors.Color(0.92, 0.92, 0.92)


def _register_font():
    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))


def _styles():
    return {
        "title": ParagraphStyle("title", fontName=FONT, fontSize=16, leading=22,
                                alignment=TA_CENTER, spaceAfter=2 * mm),
        "subtitle": ParagraphStyle("subtitle", fontName=FONT, fontSize=11, leading=16,
                                   alignment=TA_CENTER, spaceAfter=4 * mm),
        "heading": ParagraphStyle("heading", fontName=FONT, fontSize=12, leading=18,
                                  spaceBefore=3 * mm, spaceAfter=1.5 * mm),
        "body": ParagraphStyle("body", fontName=FONT, fontSize=10, leading=15),
        "note": ParagraphStyle("note", fontName=FONT, fontSize=8, leading=11,
                               textColor=colors.Color(0.35, 0.35, 0.35), spaceBefore=4 * mm),
    }


def percent(rate):
    return "—" if rate is None else f"{rate * 100:.1f}%"


def month_label(month):
    year, mon = month.split("-")
    return f"{year}年{int(mon)}月"


# --- the numbers -------------------------------------------------------------------------


def mediation_closed(month, area):
    """{village: {"resolved": n, "referred": n}} of the cases closed in ``month``."""
    first, following = month_bounds(month)
    statement = (
        select(MediationCase.village_id, MediationCase.status, func.count())
        .where(MediationCase.deleted_at.is_(None),
               MediationCase.status.in_(("resolved", "referred")),
               MediationCase.closed_on >= first, MediationCase.closed_on < following,
               area.where(MediationCase.village_id))
        .group_by(MediationCase.village_id, MediationCase.status)
    )
    closed = {}
    for village, status, number in db.session.execute(statement):
        closed.setdefault(village, {"resolved": 0, "referred": 0})[status] = number
    return closed


def open_cases_by_status(month, area):
    """{village: {status: n}} of the cases still open that were opened by the month's end."""
    counts = {}
    for village, status, _age, number in dashboard.open_cases(month, area):
        bucket = counts.setdefault(village, dict.fromkeys(dashboard.OPEN_CASE, 0))
        bucket[status] += number
    return counts


def township_pages(month, actor, township_id=None):
    """The numbers of each township page, and of the county summary."""
    area = dashboard.Area(actor, township_id=township_id)
    basis = basis_of(month)
    per_village, _by_status, _by_age, _services = dashboard.village_counts(month, area, basis)
    closed = mediation_closed(month, area)
    open_by_status = open_cases_by_status(month, area)
    townships = {}
    for village in area.villages:
        parent = village.parent
        page = townships.setdefault(parent.id, {
            "id": parent.id, "name": parent.name, "code": parent.code, "villages": [],
            "mediation": {"open": 0, "mediating": 0, "resolved": 0, "referred": 0},
        })
        page["villages"].append({"name": village.name, **per_village[village.id]})
        for status, number in open_by_status.get(village.id, {}).items():
            page["mediation"][status] += number
        for status, number in closed.get(village.id, {}).items():
            page["mediation"][status] += number
    pages = sorted(townships.values(), key=lambda page: page["code"])
    for page in pages:
        page["totals"] = dashboard.add_rates(page["villages"])
        page["feedback"] = feedback.stats({"month": month, "township_id": page["id"]}, actor)
    return {"month": month, "basis": basis, "townships": pages}


# --- the document ------------------------------------------------------------------------


def _table(rows, widths, align_from=1):
    table = Table(rows, colWidths=widths, repeatRows=1)
    table.setStyle(TableStyle([
        ("FONT", (0, 0), (-1, -1), FONT, 9.5),
        ("BACKGROUND", (0, 0), (-1, 0), HEAD),
        ("GRID", (0, 0), (-1, -1), 0.5, GRID),
        ("ALIGN", (align_from, 0), (-1, -1), "RIGHT"),
        ("ALIGN", (0, 0), (-1, 0), "CENTER"),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("TOPPADDING", (0, 0), (-1, -1), 2.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
    ]))
    return table


VILLAGE_HEADER = ["村（居）", "应访", "已访", "完成率", "逾期未访", "逾期跟进", "在办调解"]


def _village_rows(page):
    rows = [VILLAGE_HEADER]
    for village in page["villages"]:
        rows.append([village["name"], village["due"], village["done"], percent(village["rate"]),
                     village["overdue_monthly"], village["overdue_follow_ups"],
                     village["open_cases"]])
    totals = page["totals"]
    rows.append(["合计", totals["due"], totals["done"], percent(totals["rate"]),
                 totals["overdue_monthly"], totals["overdue_follow_ups"], totals["open_cases"]])
    return rows


def _feedback_line(stats):
    return (f"本月收到征求意见 {stats['received']} 件，已答复 {stats['replied']} 件，"
            f"已办结 {stats['closed']} 件，办结率 {percent(stats['resolution_rate'])}；"
            f"超期未答复 {stats['overdue']} 件。")


def _township_story(page, month, county_name, styles):
    totals, cases = page["totals"], page["mediation"]
    label = MEDIATION_STATUS
    return [
        Paragraph(f"{county_name}优抚对象服务管理月报", styles["title"]),
        Paragraph(f"{page['name']}　{month_label(month)}", styles["subtitle"]),
        Paragraph("一、走访完成情况", styles["heading"]),
        Paragraph(f"应访 {totals['due']} 人，已访 {totals['done']} 人，"
                  f"完成率 {percent(totals['rate'])}。", styles["body"]),
        Spacer(1, 2 * mm),
        _table(_village_rows(page), [52 * mm] + [19 * mm] * 6),
        Paragraph("二、逾期情况", styles["heading"]),
        Paragraph(f"每月走访逾期未访 {totals['overdue_monthly']} 人；"
                  f"跟进回访逾期 {totals['overdue_follow_ups']} 件。", styles["body"]),
        Paragraph("三、纠纷调解", styles["heading"]),
        Paragraph(f"在办 {cases['open'] + cases['mediating']} 件"
                  f"（{label['open']} {cases['open']} 件，{label['mediating']} "
                  f"{cases['mediating']} 件）；本月{label['resolved']} {cases['resolved']} 件，"
                  f"{label['referred']} {cases['referred']} 件。", styles["body"]),
        Paragraph("四、征求意见办理", styles["heading"]),
        Paragraph(_feedback_line(page["feedback"]), styles["body"]),
        Paragraph(f"本月联络员收集群众意见 {totals['opinions']} 件。", styles["body"]),
        Paragraph("五、生病探望与困难帮扶", styles["heading"]),
        Paragraph(f"本月生病上门探望 {totals['sick']} 次，困难上门帮扶 {totals['hardship']} 次。",
                  styles["body"]),
        Paragraph("六、政策宣传与便民服务", styles["heading"]),
        Paragraph(f"本月走访中宣传政策 {totals['policy_visits']} 次，共讲解政策 "
                  f"{totals['policies_explained']} 条次；召开宣讲会 {totals['meetings']} 场，"
                  f"到场 {totals['meeting_headcount']} 人次；为群众办理便民服务 "
                  f"{totals['services']} 次。", styles["body"]),
    ]


SUMMARY_HEADER = ["乡镇", "应访", "已访", "完成率", "逾期未访", "逾期跟进", "在办调解", "意见办结率"]


def _summary_story(report, county_name, styles):
    rows = [SUMMARY_HEADER]
    for page in report["townships"]:
        totals = page["totals"]
        rows.append([page["name"], totals["due"], totals["done"], percent(totals["rate"]),
                     totals["overdue_monthly"], totals["overdue_follow_ups"],
                     totals["open_cases"], percent(page["feedback"]["resolution_rate"])])
    county = dashboard.add_rates([page["totals"] for page in report["townships"]])
    rows.append(["全县", county["due"], county["done"], percent(county["rate"]),
                 county["overdue_monthly"], county["overdue_follow_ups"], county["open_cases"],
                 ""])
    table = _table(rows, [36 * mm] + [19 * mm] * 7)
    table.setStyle(TableStyle([("FONT", (0, 0), (-1, -1), FONT, 8.5),
                               ("TOPPADDING", (0, 0), (-1, -1), 1),
                               ("BOTTOMPADDING", (0, 0), (-1, -1), 1)]))
    return [
        Paragraph(f"{county_name}优抚对象服务管理月报", styles["title"]),
        Paragraph(f"全县汇总　{month_label(report['month'])}", styles["subtitle"]),
        Paragraph(f"应访 {county['due']} 人，已访 {county['done']} 人，"
                  f"完成率 {percent(county['rate'])}。", styles["body"]),
        Spacer(1, 2 * mm),
        table,
    ]


def _county_name():
    return db.session.scalar(
        select(Region.name).where(Region.level == "county", Region.deleted_at.is_(None)).limit(1)
    ) or ""


def monthly_report(filters, actor):
    """(PDF bytes, file name) of the month's report for the townships ``actor`` serves."""
    scope.require_staff(actor)
    month = filters.get("month") or county_today().strftime("%Y-%m")
    report = township_pages(month, actor, filters.get("township_id"))
    _register_font()
    styles = _styles()
    county_name = _county_name()
    made = utcnow().astimezone(county_zone()).strftime("%Y-%m-%d %H:%M")
    note = Paragraph(
        f"生成时间 {made}。应访按{'本月走访任务' if report['basis'] == 'tasks' else '在册人数'}"
        "统计；已访为本月有定时走访记录的人数。", styles["note"])
    story = []
    if scope.village_ids(actor) is None and not filters.get("township_id"):
        story += [*_summary_story(report, county_name, styles), note, PageBreak()]
    for index, page in enumerate(report["townships"]):
        if index:
            story.append(PageBreak())
        story += [*_township_story(page, month, county_name, styles), note]
    if not story:
        story = [Paragraph(f"{county_name}优抚对象服务管理月报", styles["title"]),
                 Paragraph("没有可报告的乡镇。", styles["body"])]
    buffer = BytesIO()
    document = SimpleDocTemplate(
        buffer, pagesize=A4, leftMargin=18 * mm, rightMargin=18 * mm, topMargin=16 * mm,
        bottomMargin=16 * mm, title=f"{county_name}优抚对象服务管理月报 {month_label(month)}",
        author="连心", creator="连心 Lianxin",
    )
    document.build(story)
    return buffer.getvalue(), f"优抚月报-{month}.pdf"
