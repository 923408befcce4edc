"""The demo county: believable, deterministic data for demos, tests and benchmarks.

``seed_county(scale, seed)`` fills an empty, migrated database with one county
(巴山县, code 510822): townships and villages, the demo accounts of
INTERFACES.md plus one township officer per township and one liaison per
village, beneficiaries with valid unique ID numbers, health files and events,
visits, this month's visit tasks, mediation cases, 连心卡 contact cards with
their logs, migrant feedback, villagers' opinions the liaisons collected (each also a
feedback, source liaison) and a few notifications.

Determinism: every random choice comes from one ``random.Random(seed)`` and
every UUID from it too, and dates are counted back from the county's today, so
the same seed on the same day gives the same county (ciphertexts differ: Fernet
uses a fresh IV, which is what it should do).

Scales:

``demo``
    3 townships, 6 villages, 300 beneficiaries; monthly visits for the last 6
    months (this one included), plus sick, hardship, good-news and mediation
    visits in that window; a few mediation cases per village. A second or two.
``county``
    43 townships, 528 villages, 118,000 beneficiaries. To stay well under the
    3-minute budget, visits cover only the previous and the current month
    (about 210,000 visits), with the other visit types at lower rates; up to
    two mediation cases per village; 320 feedback forms and 300 liaisons' opinions.
    About a minute.

Visit tasks: one ``monthly`` task of the current month per active person, due
on the visit day; ``done`` (with ``done_visit_id``) when a monthly visit landed
this month, ``overdue`` once the visit day plus ``LIANXIN_OVERDUE_GRACE_DAYS`` has
passed (``overdue_days`` counted from the visit day), else ``due``. Visits that
set a follow-up date get a ``follow_up`` task (``revisit`` after a sick visit),
done by the person's next monthly visit. Review: visits older than ~6 weeks are
approved; recent ones mostly pending, some approved, a few returned with a
comment. Contact cards get no QR token (``token_hash`` stays empty): a token
exists only on a printed card, so staff issue one when they print it.

Rows go in with bulk inserts, not ORM objects (context.py: COPY on
PostgreSQL, the driver's executemany on SQLite, values passed through each
column type's bind processing, so EncryptedText columns are encrypted), and one
audit row records the whole load.
Because bulk inserts bypass ``server.records.versioning``, the sync change log
(``sync_scope``/``sync_change``) is written in bulk at the end (changelog.py),
so a liaison's first pull brings their village.
"""

import time
import unicodedata
from dataclasses import dataclass

import click
from flask import current_app
from sqlalchemy import select, text

from ..common.choices import ROLES
from ..common.timeutil import county_today, utcnow
from ..extensions import db
from ..records.audit import audit
from ..regions.models import Region
from ..users.models import User
from ..users.operations import hash_password
from . import activity, changelog, county, library, names, people
from .context import Seeder

DEMO_URL = "http://127.0.0.1:5000"


@dataclass(frozen=True)
class Scale:
    townships: int
    villages: int
    beneficiaries: int
    visit_months: int  # the current month and the ones before it
    cases_per_village: tuple
    max_contact_logs: int
    feedback: int
    opinions: int  # villagers' opinions the liaisons collected
    health_event_chance: float
    hardship_chance: float
    good_news_chance: float


SCALES = {
    "demo": Scale(townships=3, villages=6, beneficiaries=300, visit_months=6,
                  cases_per_village=(2, 4), max_contact_logs=3, feedback=16, opinions=12,
                  health_event_chance=0.15, hardship_chance=0.04, good_news_chance=0.12),
    "county": Scale(townships=43, villages=528, beneficiaries=118_000, visit_months=2,
                    cases_per_village=(0, 2), max_contact_logs=2, feedback=320, opinions=300,
                    health_event_chance=0.10, hardship_chance=0.01, good_news_chance=0.02),
}


def seed_county(scale="demo", seed=2026, password=None, now=None, counties=1):
    """Load the demo county into an empty database and commit; returns a Chinese summary.

    Its dates count back from ``now`` (default: the app's clock), so one seed and one
    ``now`` give one county. ``counties`` > 1: a prefecture's counties side by side
    (names.PREFECTURE, at most four), each of ``scale``, with its own codes, ID numbers,
    card numbers and users (the demo accounts in the first; ``county_<code>`` the county
    officer of each other); one policy library and one change log for them all."""
    plan = SCALES[scale]
    if not 1 <= counties <= len(names.PREFECTURE):
        raise ValueError(f"counties: 1 to {len(names.PREFECTURE)}")
    if db.session.scalar(select(Region.id).limit(1)) is not None:
        raise RuntimeError("数据库不是空的：演示数据只能装入空数据库。")
    started = time.monotonic()
    config = current_app.config
    password = password or config["LIANXIN_DEMO_PASSWORD"]
    now = now or utcnow()
    seeder = Seeder(seed, county_today(now), now, config,
                    echo=click.echo if scale == "county" else None)
    password_hash = hash_password(password)
    policies, migrants, county_ids = None, 0, []
    for number, (code, name) in enumerate(names.PREFECTURE[:counties]):
        county_id, townships = county.build_regions(seeder, plan.townships, plan.villages,
                                                    code, name)
        county.build_users(seeder, county_id, townships, password_hash,
                           county_officer=f"county_{code}" if number else None)
        people.build_beneficiaries(seeder, [v for t in townships for v in t.villages],
                                   plan.beneficiaries, area_code=code)
        found, policies = _activity(seeder, plan, townships, policies,
                                    first_serial=number * 100_000 + 1, first=number == 0)
        migrants += found
        county_ids.append(county_id)
    changelog.build_change_log(seeder)

    counts = {"scale": scale, "seed": seed, **seeder.counts, "migrants": migrants}
    if counties > 1:
        counts["counties"] = counties
    audit("seed_demo", entity="region", record_id=county_ids[0], changes=counts)
    db.session.commit()
    if db.session.get_bind().dialect.name == "postgresql":
        # Fresh statistics, so the first pulls and lists after a bulk load plan well.
        db.session.execute(text("ANALYZE"))
        db.session.commit()
    return _summary(scale, seed, seeder.counts, migrants, time.monotonic() - started, counties)


def _activity(seeder, plan, townships, policies, first_serial, first):
    """One county's people's files and what happened there, the policy library made in the
    first (``policies``: its items, once made); returns (its migrants, the items)."""
    villages = [v for t in townships for v in t.villages]
    everyone = [p for v in villages for p in v.people]
    people.build_health_files(seeder, everyone)
    sick = people.build_health_events(seeder, everyone, plan.health_event_chance)
    sessions = activity.build_mediation(seeder, villages, plan.cases_per_village)
    visits = activity.build_visits(
        seeder, everyone, months=plan.visit_months, sick=sick, sessions=sessions,
        hardship=plan.hardship_chance, good_news=plan.good_news_chance,
    )
    activity.build_tasks(seeder, everyone, visits)
    cards = activity.build_contacts(seeder, everyone, plan.max_contact_logs, first_serial)
    late_feedback = activity.build_feedback(seeder, townships, cards, plan.feedback)
    activity.build_opinions(seeder, villages, plan.opinions)
    if first:  # the demo accounts' inbox
        users = dict(db.session.execute(select(User.username, User.id)).all())
        activity.build_notifications(seeder, townships, users, visits, late_feedback)
        policies = library.build_policies(seeder)
    library.build_meetings(seeder, villages, policies)
    return sum(1 for p in everyone if p.is_migrant), policies


def _summary(scale, seed, counts, migrants, seconds, counties=1):
    c = counts
    return (
        f"演示县已装入（{scale}，种子 {seed}）：{counties} 个县、{c['townships']} 个乡镇、"
        f"{c['villages']} 个村（社区）；用户 {c['users']} 个；"
        f"优抚对象 {c['beneficiaries']:,} 人（外出务工 {migrants:,} 人）；"
        f"健康档案 {c['health_files']:,} 份、健康事件 {c['health_events']:,} 条；"
        f"走访记录 {c['visits']:,} 条、走访任务 {c['visit_tasks']:,} 条；"
        f"调解案件 {c['mediation_cases']:,} 件；连心卡 {c['contact_cards']:,} 张；"
        f"征求意见 {c['feedback']:,} 件、联络员收集意见 {c['opinions']:,} 件。"
        f"用时 {seconds:.1f} 秒。"
    )


def _width(text):
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text, width):
    return text + " " * max(0, width - _width(text))


def print_logins(password):
    """The demo accounts, where they work, the password and the address."""
    usernames = list(county.FIXED_ACCOUNTS)
    found = {
        user.username: user
        for user in db.session.scalars(select(User).where(User.username.in_(usernames)))
    }
    lines = [
        ("用户名 username", "角色 role", "地区 region"),
    ]
    for username in usernames:
        user = found.get(username)
        if user is None:
            lines.append((username, "—", "（未找到 not found）"))
        else:
            lines.append((username, f"{ROLES[user.role]} {user.role}",
                          user.region.name if user.region else "—"))
    widths = [max(_width(line[i]) for line in lines) + 2 for i in range(2)]
    rule = "─" * 64
    click.echo(rule)
    click.echo("连心 Lianxin 演示账号 / demo accounts")
    click.echo(rule)
    for first, second, third in lines:
        click.echo("  " + _pad(first, widths[0]) + _pad(second, widths[1]) + third)
    click.echo("")
    click.echo("  另有每个村一名联络员 liaison_<村代码>、每个乡镇一名干部 township_<乡镇代码>")
    click.echo("  (one liaison per village, one officer per township, same password)")
    click.echo(f"  密码 password（全部账号 / all accounts）：{password}")
    click.echo(f"  地址 open：{DEMO_URL}")
    click.echo(rule)
