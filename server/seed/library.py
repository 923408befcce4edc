"""The demo county's policy library: a few items of the kind its printed reader
(法规政策书) holds, as the bureau would publish them."""

from sqlalchemy import select

from ..common.pinyin import name_initials
from ..extensions import db
from ..policies.models import OutreachMeeting, Policy, PolicyRevision
from ..policies.rendering import render
from ..users.models import User

POLICIES = (
    ("preferential", "残疾军人抚恤金按月发放",
     "伤残军人的抚恤金每月发放到本人社保卡，标准每年按国家规定提高。没收到或金额不对，找村联络员或乡镇民政所。",
     "## 谁能领\n\n持有《残疾军人证》的伤残军人。\n\n## 怎么发\n\n"
     "- 每月 10 日前发到本人社会保障卡；\n- 标准按伤残等级和国家当年规定执行；\n"
     "- 本人去世的，家属应在一个月内告知乡镇民政所。\n\n"
     "## 有问题找谁\n\n村民政信息联络员，或乡镇民政所（工作日上午 8:30—12:00）。"),
    ("preferential", "烈士遗属定期抚恤",
     "烈士的父母、配偶和未成年子女每月领取定期抚恤金。家里情况有变化，请告诉联络员。",
     "烈士遗属（父母或抚养人、配偶、子女）符合条件的，按月领取**定期抚恤金**。\n\n"
     "1. 由乡镇民政所初审，县民政局审批；\n2. 每年核对一次领取资格；\n"
     "3. 遗属户口迁出本县的，由迁入地继续发放。"),
    ("medical", "优抚对象医疗补助",
     "看病住院，基本医保和大病保险报销后，自己付的部分还可以申请医疗补助。",
     "## 申请材料\n\n- 医院的费用清单和发票；\n- 医保结算单；\n- 本人身份证和优抚证件。\n\n"
     "由村联络员代为收齐，交乡镇民政所。补助标准见下表：\n\n"
     "| 对象 | 住院自付部分补助 |\n|---|---|\n| 一至四级残疾军人 | 90% |\n"
     "| 其他优抚对象 | 60% |"),
    ("housing", "优抚对象住房困难帮扶",
     "住房有安全问题的优抚对象，可以优先纳入农村危房改造。",
     "住房鉴定为危房的，优先安排改造资金。联络员走访时发现的，请在走访记录里写明，乡镇一周内核实。"),
    ("employment", "退役军人就业创业扶持",
     "退役军人创业可申请贴息贷款，参加免费技能培训。外出务工遇到欠薪，可以在线反映。",
     "- 创业担保贷款：个人最高 30 万元，按规定贴息；\n- 免费职业技能培训，每年春秋两期；\n"
     "- 外出务工被拖欠工资的，可扫连心卡二维码反映，县里帮助联系当地。"),
    ("legal", "法律援助：优抚对象优先",
     "优抚对象打官司、维权有困难的，可以申请免费法律援助。",
     "向县法律援助中心申请，优抚对象**优先受理**。电话咨询：12348。"),
)


PLACES = ("村委会", "村委会院坝", "村文化广场", "村卫生室门前", "组长家院坝")


def build_policies(seeder):
    """Published by the county officer a few weeks before the seed's day; returns
    [(id, title)] of them."""
    author = db.session.scalar(select(User.id).where(User.username == "county1"))
    policies, revisions = [], []
    for category, title, summary, body in POLICIES:
        created = seeder.moment(seeder.days_ago(60, 20), 9, 11)
        row = {**seeder.record(created), "title": title, "title_initials": name_initials(title),
               "category": category, "summary": summary, "body_html": render(body),
               "effective_on": None, "withdrawn_on": None, "has_pdf": False,
               "published_at": created}
        policies.append(row)
        revisions.append({"policy_id": row["id"], "version": 1, "title": title,
                          "category": category, "summary": summary, "body": body,
                          "effective_on": None, "published_at": created,
                          "published_by_id": author})
    seeder.insert(Policy, policies)
    seeder.insert(PolicyRevision, revisions)
    return [(row["id"], row["title"]) for row in policies]


def build_meetings(seeder, villages, policies, chance=0.5):
    """About every other village held a policy meeting in the last month: a few of its
    people ticked present, more came."""
    rng, rows = seeder.rng, []
    for village in villages:
        if village.liaison_id is None or not village.people or rng.random() >= chance:
            continue
        held = seeder.days_ago(30, 1)
        present = rng.sample(village.people, min(len(village.people), rng.randint(2, 6)))
        told = rng.sample(policies, rng.randint(1, min(3, len(policies))))
        rows.append({
            **seeder.record(seeder.moment(held, 14, 18)), "village_id": village.id,
            "liaison_id": village.liaison_id, "held_on": held, "place": rng.choice(PLACES),
            "policies_explained": [{"id": str(pid), "title": title} for pid, title in told],
            "attendee_ids": [str(person.id) for person in present],
            "headcount": len(present) + rng.randint(3, 25),
            "notes": "宣讲了" + "、".join(title for _pid, title in told),
        })
    seeder.insert(OutreachMeeting, rows)
