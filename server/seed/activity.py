"""What happened in the county: visits and visit tasks, mediation, contact cards, feedback,
opinions the liaisons collected."""

from collections import Counter
from datetime import date, timedelta

from sqlalchemy import select

from ..common.choices import HARDSHIP_KINDS, MEDIATION_KINDS
from ..contacts.models import ContactCard, ContactLog
from ..extensions import db
from ..feedback.models import Feedback, Opinion
from ..mediation.models import MediationCase, MediationSession
from ..notifications.models import Notification
from ..visits.models import Visit, VisitTask
from . import names

# Monthly visits land on the visit day, or a day or few either side.
_DAY_OFFSETS = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, -1, -1, -2, 1, 1, 1, 2, 2, 3, 4, 5)
_MEDIATION_KINDS = tuple(MEDIATION_KINDS)
_MEDIATION_WEIGHTS = (30, 30, 20, 12, 8)
_CHANNELS = ("phone", "wechat", "sms", "visit", "other")
_CHANNEL_WEIGHTS = (50, 30, 8, 10, 2)
_FEEDBACK_CATEGORIES = tuple(names.FEEDBACK_TEXT)
_FEEDBACK_WEIGHTS = (35, 15, 20, 20, 10)


class Visits:
    """Builds every visit; remembers what the tasks and notifications need to know."""

    def __init__(self, seeder, months, featured_village=None):
        self.seeder = seeder
        # the demo's first village (liaison1's) always shows a returned visit, whatever
        # the day: the first reviewed visit of 3-45 days ago there is returned
        self.featured_village = featured_village
        self.rng = seeder.rng
        self.months = seeder.months_back(months)
        self.window_start = date(*self.months[0], 1)
        self.this_month = {}  # person id -> the monthly visit of the current month
        self.monthly = {}  # person id -> [(visited_on, visit id)] oldest first
        self.follow_ups = []  # (person, kind, visit id, visited_on, due_on)
        self.pending = Counter()  # township id -> visits waiting for review
        self.returned = {}  # village id -> (visit id, person name, comment), the first one

    # -- one visit ------------------------------------------------------------------------

    def _review(self, village, day):
        seeder, rng = self.seeder, self.rng
        age = (seeder.today - day).days
        roll = rng.random()
        if age >= 40:
            status = "approved"
        elif age >= 10:
            status = "approved" if roll < 0.80 else "pending" if roll < 0.94 else "returned"
        else:
            status = "pending" if roll < 0.80 else "approved" if roll < 0.92 else "returned"
        reviewed_on = min(day + timedelta(days=rng.randint(1, 7)), seeder.today)
        if status == "pending" or reviewed_on <= day:
            return "pending", None, None, None
        if (village.id == self.featured_village and village.id not in self.returned
                and 3 <= age <= 45):
            status = "returned"
        comment = rng.choice(names.RETURN_COMMENTS) if status == "returned" else None
        return status, comment, village.township.officer_id, seeder.moment(reviewed_on)

    def _location(self, village):
        if self.rng.random() >= 0.65:
            return None
        lat, lng = village.centre
        return {"lat": round(lat + self.rng.uniform(-0.01, 0.01), 6),
                "lng": round(lng + self.rng.uniform(-0.01, 0.01), 6),
                "accuracy": self.rng.randint(5, 60)}

    def _row(self, person, visit_type, day, summary, details, *, needs=None, actions=None,
             follow_up_due=None, case_id=None):
        village = person.village
        status, comment, reviewer, reviewed_at = self._review(village, day)
        row = {
            **self.seeder.record(self.seeder.moment(day), reviewed_at),
            "beneficiary_id": person.id,
            "village_id": village.id,
            "liaison_id": village.liaison_id,
            "visit_type": visit_type,
            "visited_on": day,
            "summary": summary,
            "needs": needs,
            "actions": actions,
            "follow_up_due": follow_up_due,
            "details": details,
            "case_id": case_id,
            "photo_ids": [],
            "location": self._location(village),
            "review_status": status,
            "review_comment": comment,
            "reviewed_by_id": reviewer,
            "reviewed_at": reviewed_at,
        }
        if status == "pending":
            self.pending[village.township.id] += 1
        elif status == "returned" and village.id not in self.returned:
            self.returned[village.id] = (row["id"], person.name, comment)
        return row

    # -- the five home services -----------------------------------------------------------

    def monthly_rows(self, people):
        rng, today = self.rng, self.seeder.today
        current = (today.year, today.month)
        for year, month in self.months:
            visit_day = self.seeder.visit_day_of(year, month)
            for person in people:
                if not person.active:
                    continue
                chance = 0.85 if person.is_migrant else 0.96
                if (year, month) == current:
                    chance -= 0.06
                if rng.random() >= chance:
                    continue
                day = visit_day + timedelta(days=rng.choice(_DAY_OFFSETS))
                if day > today:
                    continue
                living = rng.choice(names.LIVING)
                production = rng.choice(names.PRODUCTION)
                health = rng.choice(names.HEALTH_NOTES)
                needs = actions = follow_up = None
                if rng.random() < 0.12:
                    needs = rng.choice(names.NEEDS)
                    actions = rng.choice(names.ACTIONS) if rng.random() < 0.9 else None
                    if rng.random() < 0.5:
                        follow_up = day + timedelta(days=rng.randint(7, 21))
                row = self._row(
                    person, "monthly", day, f"按时上门走访：{living}；{production}；{health}。",
                    {"living": living, "production": production, "health": health},
                    needs=needs, actions=actions, follow_up_due=follow_up,
                )
                self.monthly.setdefault(person.id, []).append((day, row["id"]))
                if (year, month) == current:
                    self.this_month[person.id] = row["id"]
                if follow_up:
                    self.follow_ups.append((person, "follow_up", row["id"], day, follow_up))
                yield row

    def sick_rows(self, sick):
        rng, today = self.rng, self.seeder.today
        for person, event, illness in sick:
            if event["occurred_on"] < self.window_start or rng.random() >= 0.75:
                continue
            day = min(event["occurred_on"] + timedelta(days=rng.randint(0, 4)), today)
            in_hospital = event["kind"] == "hospital"
            aid_needed = rng.random() < 0.35
            details = {
                "illness": illness,
                "hospital": event["hospital"] or f"{person.village.township.name}卫生院",
                "treatment": "住院治疗" if in_hospital else rng.choice(("门诊治疗", "在家服药")),
                "aid_needed": aid_needed,
            }
            revisit = (day + timedelta(days=self.seeder.sick_revisit_days)
                       if rng.random() < 0.6 else None)
            row = self._row(
                person, "sick", day,
                f"得知{person.name}因{illness}{'住院' if in_hospital else '就医'}，上门探望，送去慰问品。",
                details,
                needs="申请重点优抚对象医疗救助" if aid_needed else None,
                actions="已协助准备医疗救助申请材料" if aid_needed else None,
                follow_up_due=revisit,
            )
            if revisit:
                self.follow_ups.append((person, "revisit", row["id"], day, revisit))
            yield row

    def hardship_rows(self, people, chance):
        rng = self.rng
        kinds = tuple(HARDSHIP_KINDS)
        for person in people:
            if not person.active or rng.random() >= chance:
                continue
            kind = rng.choice(kinds)
            day = self.seeder.day_between(self.window_start, self.seeder.today)
            helper = f"{rng.choice(names.HELPER_POSTS)} {names.person_name(rng, 'male', 1975)}"
            difficulty = rng.choice(names.HARDSHIP_DIFFICULTIES[kind])
            follow_up = day + timedelta(days=30)
            row = self._row(
                person, "hardship", day,
                f"{HARDSHIP_KINDS[kind]}：{difficulty}。结对干部上门帮扶。",
                {"difficulty": kind, "help_pledged": names.HARDSHIP_PLEDGES[kind],
                 "helper": helper, "plan": names.HARDSHIP_PLANS[kind]},
                needs=difficulty, actions=names.HARDSHIP_PLEDGES[kind], follow_up_due=follow_up,
            )
            self.follow_ups.append((person, "follow_up", row["id"], day, follow_up))
            yield row

    def good_news_rows(self, people, chance):
        rng = self.rng
        for person in people:
            if person.category != "conscript_family" or not person.active:
                continue
            if rng.random() >= chance:
                continue
            day = self.seeder.day_between(self.window_start, self.seeder.today)
            soldier = names.person_name(rng, "male", 2004)
            merit = rng.choice(names.MERITS)
            award = rng.choice(names.AWARDS)
            yield self._row(
                person, "good_news", day,
                f"{soldier}在部队{merit}，民政报喜小分队敲锣打鼓将喜报送到家中。",
                {"merit": f"{soldier}{merit}", "award": award},
                actions=f"送达{award}",
            )

    def mediation_rows(self, sessions):
        for person, session, case in sessions:
            yield self._row(
                person, "mediation", session["held_on"],
                f"{MEDIATION_KINDS[case['kind']]}纠纷调解：{session['notes']}。",
                {}, case_id=case["id"],
            )


def build_mediation(seeder, villages, per_village):
    """Cases and their sessions; returns (person, session row, case row) for the visits."""
    rng, today = seeder.rng, seeder.today
    cases, sessions = [], []
    for village in villages:
        people = [p for p in village.people if p.active]
        for _ in range(rng.randint(*per_village) if people else 0):
            person = rng.choice(people)
            weights = (10, 10, 10, 60, 10) if person.is_migrant else _MEDIATION_WEIGHTS
            kind = rng.choices(_MEDIATION_KINDS, weights=weights)[0]
            opened = seeder.days_ago(240, 1)
            roll = rng.random()
            if (today - opened).days > 60:
                status = ("resolved" if roll < 0.65 else "referred" if roll < 0.8
                          else "mediating" if roll < 0.95 else "open")
            else:
                status = "open" if roll < 0.35 else "mediating" if roll < 0.8 else "resolved"
            count = {"open": 0, "mediating": rng.randint(1, 2), "resolved": rng.randint(1, 3),
                     "referred": rng.randint(1, 2)}[status]
            days = sorted(seeder.day_between(opened, today) for _ in range(count))
            closed = None
            if status in ("resolved", "referred"):
                closed = days[-1] if days else opened
            referred_to = rng.choice(names.MEDIATION_REFERRALS) if status == "referred" else None
            outcome = (rng.choice(names.MEDIATION_OUTCOMES) if status == "resolved"
                       else f"已移交{referred_to}" if referred_to else None)
            relation = {"family": "亲属", "neighbour": "邻居", "land": "同组村民",
                        "labour": "用工单位负责人", "military_rights": "相关单位"}[kind]
            last = closed or (days[-1] if days else opened)
            created = seeder.moment(opened)
            case = {
                # last can be the day it opened: two instants of one day, never updated first
                **seeder.record(created, max(created, seeder.moment(last))),
                "beneficiary_id": person.id,
                "village_id": village.id,
                "kind": kind,
                "parties": f"{person.name}（优抚对象）与{names.masked_person(rng)}（{relation}）",
                "description": f"{person.name}{rng.choice(names.MEDIATION_TEXT[kind])}，申请调解。",
                "opened_on": opened,
                "status": status,
                "outcome": outcome,
                "referred_to": referred_to,
                "closed_on": closed,
            }
            cases.append(case)
            for day in days:
                session = {
                    **seeder.record(seeder.moment(day)),
                    "case_id": case["id"],
                    "village_id": village.id,
                    "held_on": day,
                    "notes": rng.choice(names.SESSION_NOTES),
                }
                sessions.append((person, session, case))
    seeder.insert(MediationCase, cases, label="mediation_cases")
    seeder.insert(MediationSession, (s for _p, s, _c in sessions), label="mediation_sessions")
    return sessions


def build_visits(seeder, people, *, months, sick, sessions, hardship, good_news):
    visits = Visits(seeder, months, featured_village=people[0].village.id if people else None)

    def rows():
        yield from visits.monthly_rows(people)
        yield from visits.sick_rows(sick)
        yield from visits.hardship_rows(people, hardship)
        yield from visits.good_news_rows(people, good_news)
        yield from visits.mediation_rows(sessions)

    seeder.insert(Visit, rows(), label="visits")
    return visits


def build_tasks(seeder, people, visits):
    """This month's monthly task per active person, and the follow-ups visits asked for.

    A monthly task is done when a monthly visit landed this month, overdue once the
    visit day plus the grace days have passed, due until then. A follow-up is done
    by the next monthly visit after it was set, overdue after its date.
    """
    today = seeder.today
    due_on = seeder.visit_day_of(today.year, today.month)
    period = f"{today:%Y-%m}"
    opened = seeder.moment(date(today.year, today.month, 1), 0, 1)

    def task(person, kind, task_period, due, created, source=None, done=None, done_at=None):
        if done:
            status, late = "done", 0
        elif today > due + timedelta(days=seeder.grace_days if kind == "monthly" else 0):
            status, late = "overdue", (today - due).days
        else:
            status, late = "due", 0
        return {
            **seeder.record(created, done_at or created),
            "beneficiary_id": person.id, "village_id": person.village.id, "kind": kind,
            "period": task_period, "due_on": due, "status": status,
            "source_visit_id": source, "done_visit_id": done, "overdue_days": late,
        }

    def rows():
        for person in people:
            if person.active:
                done = visits.this_month.get(person.id)
                done_at = seeder.moment(visits.monthly[person.id][-1][0]) if done else None
                yield task(person, "monthly", period, due_on, opened, done=done, done_at=done_at)
        for person, kind, source, visited_on, due in visits.follow_ups:
            later = [(d, v) for d, v in visits.monthly.get(person.id, ()) if d > visited_on]
            done, done_at = (later[0][1], seeder.moment(later[0][0])) if later else (None, None)
            yield task(person, kind, f"{due:%Y-%m}", due, seeder.moment(visited_on),
                       source=source, done=done, done_at=done_at)

    seeder.insert(VisitTask, rows(), label="visit_tasks")


def build_contacts(seeder, people, max_logs, first_serial=1):
    """A 连心卡 for every migrant still on the books, and the calls made to them
    (card numbers from ``first_serial``: another county of a prefecture starts higher)."""
    rng, today = seeder.rng, seeder.today
    cards, logs = [], []
    for serial, person in enumerate((p for p in people if p.active and p.is_migrant),
                                    first_serial):
        issued = seeder.days_ago(1000, 30)
        dates = sorted(seeder.day_between(issued, today) for _ in range(rng.randint(0, max_logs)))
        relation = rng.choice(("妻子", "丈夫", "父亲", "母亲", "兄弟", "姐妹"))
        relation_sex = "female" if relation in ("妻子", "母亲", "姐妹") else "male"
        contact = names.person_name(rng, relation_sex, person.birth.year)
        card = {
            **seeder.record(seeder.moment(issued),
                            seeder.moment(dates[-1]) if dates else None),
            "beneficiary_id": person.id,
            "village_id": person.village.id,
            "card_number": f"LX{issued.year}{serial:05d}",
            "issued_on": issued,
            "work_city": person.work_city,
            "work_province": person.work_province,
            "employer": names.employer(rng, person.work_city),
            "phone": person.phone,
            "emergency_contact": f"{relation} {contact} {names.mobile(rng)}",
            "last_contact_on": dates[-1] if dates else None,
            "token_hash": None,
        }
        cards.append((person, card))
        for day in dates:
            channel = rng.choices(_CHANNELS, weights=_CHANNEL_WEIGHTS)[0]
            logs.append({
                **seeder.record(seeder.moment(day)),
                "card_id": card["id"],
                "village_id": person.village.id,
                "contacted_on": day,
                "channel": channel,
                "notes": rng.choice(names.CONTACT_NOTES[channel]),
            })
    seeder.insert(ContactCard, (c for _p, c in cards), label="contact_cards")
    seeder.insert(ContactLog, logs, label="contact_logs")
    return cards


def build_feedback(seeder, townships, cards, count):
    """Feedback forms from migrants (by card or anonymous), handled within 15 days."""
    rng, today = seeder.rng, seeder.today
    received = sorted(seeder.days_ago(120, 1) for _ in range(count))
    receipts = set(db.session.scalars(select(Feedback.receipt_number)))  # other counties'
    rows = []
    for day in received:
        receipt = None
        while receipt is None or receipt in receipts:
            # as the app makes them: the date and six random digits
            receipt = f"FK{day:%Y%m%d}{rng.randrange(10**6):06d}"
        receipts.add(receipt)
        card = person = None
        if cards and rng.random() < 0.7:
            person, card = rng.choice(cards)
        category = rng.choices(_FEEDBACK_CATEGORIES, weights=_FEEDBACK_WEIGHTS)[0]
        age = (today - day).days
        roll = rng.random()
        if age > 20:
            status = "closed" if roll < 0.8 else "replied" if roll < 0.95 else "assigned"
        elif age > 5:
            status = ("replied" if roll < 0.4 else "closed" if roll < 0.6
                      else "assigned" if roll < 0.9 else "received")
        else:
            status = "received" if roll < 0.5 else "assigned" if roll < 0.9 else "replied"
        township = person.village.township if person else rng.choice(townships)
        deadline = day + timedelta(days=seeder.feedback_days)
        created = seeder.moment(day, 7, 23)
        replied_at = closed_at = reply = None
        if status in ("replied", "closed"):
            replied_on = min(day + timedelta(days=rng.randint(1, min(14, max(age, 1)))), today)
            replied_at = max(seeder.moment(replied_on), created)
            reply = rng.choice(names.FEEDBACK_REPLIES[category])
            if status == "closed":
                closed_on = min(replied_on + timedelta(days=rng.randint(0, 5)), today)
                closed_at = max(seeder.moment(closed_on), replied_at)
        late = status in ("received", "assigned") and today > deadline
        rows.append({
            **seeder.record(created, closed_at or replied_at or created),
            "receipt_number": receipt,
            "card_id": card["id"] if card else None,
            "beneficiary_id": person.id if person else None,
            "village_id": person.village.id if person else None,
            "category": category,
            "text": rng.choice(names.FEEDBACK_TEXT[category]),
            "phone": card["phone"] if card else (names.mobile(rng) if roll < 0.7 else None),
            "city": card["work_city"] if card else names.work_city(rng)[0],
            "status": status,
            "assigned_region_id": township.id if status != "received" else None,
            "assigned_user_id": township.officer_id if status != "received" else None,
            "deadline": deadline,
            "reply": reply,
            "replied_at": replied_at,
            "closed_at": closed_at,
            "reminders_sent": rng.randint(1, 2) if late else 0,
            "source": "form",
            "collected_by_id": None,
        })
    seeder.insert(Feedback, rows, label="feedback")
    return sum(1 for r in rows if r["status"] in ("received", "assigned") and r["deadline"] < today)


def build_opinions(seeder, villages, count):
    """Villagers' opinions the liaisons collected, each also a feedback (source liaison)
    handled as a migrant's form; most answered, some of those already 已转告."""
    rng, today = seeder.rng, seeder.today
    feedback_rows, opinion_rows = [], []
    receipts = set(db.session.scalars(select(Feedback.receipt_number)))
    for day in sorted(seeder.days_ago(90, 0) for _ in range(count)):
        village = rng.choice(villages)
        person = rng.choice(village.people) if village.people and rng.random() < 0.8 else None
        category = rng.choices(_FEEDBACK_CATEGORIES, weights=_FEEDBACK_WEIGHTS)[0]
        created = seeder.moment(day, 18, 22)  # synced in the evening, at home
        age = (today - day).days
        status = ("closed" if age > 20 and rng.random() < 0.7 else
                  "replied" if age > 3 and rng.random() < 0.7 else
                  "assigned" if rng.random() < 0.5 else "received")
        reply = replied_at = closed_at = relayed_on = None
        if status in ("replied", "closed"):
            replied_on = min(day + timedelta(days=rng.randint(1, min(14, max(age, 1)))), today)
            replied_at = max(seeder.moment(replied_on), created)
            reply = rng.choice(names.OPINION_REPLIES[category])
            if rng.random() < 0.7:
                relayed_on = seeder.day_between(replied_on, today)
            if status == "closed":
                closed_at = max(seeder.moment(min(replied_on + timedelta(days=2), today)),
                                replied_at)
        receipt = None
        while receipt is None or receipt in receipts:
            receipt = f"FK{day:%Y%m%d}{rng.randrange(10**6):06d}"
        receipts.add(receipt)
        text = rng.choice(names.OPINION_TEXT[category])
        deadline = day + timedelta(days=seeder.feedback_days)
        township = village.township
        feedback = {
            **seeder.record(created, closed_at or replied_at or created),
            "receipt_number": receipt, "card_id": None,
            "beneficiary_id": person.id if person else None, "village_id": village.id,
            "category": category, "text": text, "phone": None, "city": None,
            "status": status,
            "assigned_region_id": township.id if status != "received" else None,
            "assigned_user_id": township.officer_id if status != "received" else None,
            "deadline": deadline, "reply": reply, "replied_at": replied_at,
            "closed_at": closed_at, "reminders_sent": 0,
            "source": "liaison", "collected_by_id": village.liaison_id,
        }
        feedback_rows.append(feedback)
        opinion_rows.append({
            **seeder.record(created, max(seeder.moment(relayed_on), feedback["updated_at"])
                            if relayed_on else feedback["updated_at"]),
            "beneficiary_id": person.id if person else None, "anonymous": person is None,
            "category": category, "text": text, "collected_on": day, "relayed_on": relayed_on,
            "village_id": village.id, "liaison_id": village.liaison_id,
            "feedback_id": feedback["id"], "receipt_number": receipt, "status": status,
            "deadline": deadline, "reply": reply, "replied_at": replied_at,
        })
    seeder.insert(Feedback, feedback_rows, label="opinion_feedback")
    seeder.insert(Opinion, opinion_rows, label="opinions")


def build_notifications(seeder, townships, users, visits, late_feedback):
    """A few unread messages so the demo accounts have something in their inbox."""
    first = townships[0]
    village = first.villages[0]
    messages = []
    if visits.pending[first.id]:
        messages.append((first.officer_id, "review_pending", "走访记录待审核",
                         f"{first.name}有 {visits.pending[first.id]} 条走访记录待审核。", "#/review"))
    if village.id in visits.returned:
        visit_id, name, comment = visits.returned[village.id]
        messages.append((village.liaison_id, "visit_returned", "走访记录被退回",
                         f"{name}的走访记录被退回：{comment}", f"#/visit/{visit_id}"))
    if late_feedback and "county1" in users:
        messages.append((users["county1"], "feedback_overdue", "征求意见办理超期",
                         f"有 {late_feedback} 件征求意见已超过办结期限，请督办。", "#/feedback"))
    created = seeder.moment(seeder.today, 0, 1)
    rows = [{**seeder.record(created), "user_id": user_id, "kind": kind, "title": title,
             "body": body, "read": False, "link": link}
            for user_id, kind, title, body, link in messages]
    seeder.insert(Notification, rows, label="notifications")
