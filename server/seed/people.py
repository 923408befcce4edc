"""Beneficiaries (优抚对象) with their health files and health events."""

from datetime import date

from ..beneficiaries.models import Beneficiary
from ..common.idnumbers import IdNumber
from ..common.pinyin import name_initials
from ..health.models import HealthEvent, HealthFile
from . import names
from .context import Person

# category -> (weight, birth years, share of men)
CATEGORIES = {
    "retired_soldier": (40, (1970, 2004), 0.96),
    "conscript_family": (17, (1962, 1984), 0.5),
    "demobilized_veteran": (10, (1925, 1950), 0.97),
    "war_test_veteran": (9, (1945, 1966), 0.98),
    "sick_returned_veteran": (7, (1940, 1985), 0.95),
    "disabled_serviceman": (7, (1935, 1995), 0.95),
    "illness_death_family": (4, (1935, 1990), 0.35),
    "martyr_family": (3, (1930, 1990), 0.35),
    "duty_death_family": (3, (1940, 1995), 0.35),
}
_CATEGORY_NAMES = tuple(CATEGORIES)
_CATEGORY_WEIGHTS = tuple(v[0] for v in CATEGORIES.values())
# Milder grades are far more common than the severe ones.
_GRADE_WEIGHTS = (1, 1, 2, 3, 4, 6, 9, 12, 14, 14)
# How likely someone working-age in a category is away working in a city.
_MIGRANT_CHANCE = {"retired_soldier": 0.33, "conscript_family": 0.22}
_OLD_CATEGORIES = {"demobilized_veteran", "disabled_serviceman", "martyr_family",
                   "war_test_veteran"}
_NOTES = ("独居", "子女在外务工，留守老人", "享受农村低保", "行动不便，需上门服务",
          "家庭经济困难", "致富能手", "村民政信息联络员推荐为示范户")
_INSURANCE, _INSURANCE_WEIGHTS = zip(
    ("rural_cooperative", 45), ("urban_resident", 38), ("employee", 8), ("public", 5),
    ("none", 4), strict=True,
)
_EVENT_KINDS = (("illness", 35), ("hospital", 30), ("medical_aid", 15), ("checkup", 20))


def _birth_date(rng, years, today):
    first, last = years
    last = min(last, today.year - 18)
    start = date(first, 1, 1).toordinal()
    return date.fromordinal(rng.randint(start, date(last, 12, 31).toordinal()))


def _status(rng, age):
    chance = rng.random()
    died = 0.25 if age >= 88 else 0.08 if age >= 75 else 0.01
    if chance < died:
        return "deceased"
    return "moved" if chance < died + 0.02 else "active"


def _five_elders(rng, category, age):
    if category == "demobilized_veteran":
        return rng.random() < 0.32
    if category in _OLD_CATEGORIES and age >= 70:
        return rng.random() < 0.15
    return rng.random() < 0.005


class IdNumbers:
    """Valid, unique ID numbers: the first 17 digits never repeat within the seed."""

    def __init__(self, rng, area_code):
        self.rng = rng
        self.area_code = area_code
        self.used = set()

    def new(self, birth, sex):
        odd = sex == "male"
        while True:
            sequence = self.rng.randrange(0, 500) * 2 + (1 if odd else 0)
            key = (birth, sequence)
            if key not in self.used:
                self.used.add(key)
                return IdNumber.compose(self.area_code, birth, sequence)


def _person_rows(seeder, village, count, id_numbers):
    rng = seeder.rng
    today = seeder.today
    for _ in range(count):
        category = rng.choices(_CATEGORY_NAMES, weights=_CATEGORY_WEIGHTS)[0]
        _weight, years, men = CATEGORIES[category]
        sex = "male" if rng.random() < men else "female"
        birth = _birth_date(rng, years, today)
        age = today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))
        status = _status(rng, age)
        migrant = (status == "active" and 18 <= age <= 58
                   and rng.random() < _MIGRANT_CHANCE.get(category, 0.10))
        city, province = names.work_city(rng) if migrant else (None, None)
        has_phone = migrant or rng.random() < (0.45 if age >= 85 else 0.93)
        id_number = id_numbers.new(birth, sex)
        registered = seeder.days_ago(1500, 200)
        created = seeder.moment(registered)
        row = {
            **seeder.record(created),
            "name": (name := names.person_name(rng, sex, birth.year)),
            "name_initials": name_initials(name),  # memoised: names repeat
            "sex": sex,
            "birth_date": birth,
            **id_number.stored_columns(),
            "phone": names.mobile(rng) if has_phone else None,
            "village_id": village.id,
            "address": names.address(rng, village.is_community),
            "category": category,
            "disability_grade": (rng.choices(range(1, 11), weights=_GRADE_WEIGHTS)[0]
                                 if category == "disabled_serviceman" else None),
            "is_five_elders": _five_elders(rng, category, age),
            "status": status,
            "is_migrant": migrant,
            "work_city": city,
            "notes": rng.choice(_NOTES) if rng.random() < 0.08 else None,
        }
        person = Person(id=row["id"], village=village, name=row["name"], sex=sex, birth=birth,
                        category=category, status=status, is_migrant=migrant, work_city=city,
                        work_province=province, phone=row["phone"])
        village.people.append(person)
        yield row


def _split(total, parts, rng):
    """``total`` split into ``parts`` uneven shares (±25%) that add up exactly."""
    weights = [0.75 + rng.random() * 0.5 for _ in range(parts)]
    scale = total / sum(weights)
    shares = [int(w * scale) for w in weights]
    for index in rng.sample(range(parts), total - sum(shares)):
        shares[index] += 1
    return shares


def build_beneficiaries(seeder, villages, total, area_code=names.COUNTY_CODE):
    id_numbers = IdNumbers(seeder.rng, area_code)
    shares = _split(total, len(villages), seeder.rng)

    def rows():
        for village, count in zip(villages, shares, strict=True):
            yield from _person_rows(seeder, village, count, id_numbers)

    seeder.insert(Beneficiary, rows(), label="beneficiaries")


def _health_file_rows(seeder, people):
    rng = seeder.rng
    today = seeder.today
    for person in people:
        if rng.random() >= 0.92:
            continue
        old = today.year - person.birth.year >= 60
        conditions = [name for name, (if_old, if_young, _drug) in names.CONDITIONS.items()
                      if rng.random() < (if_old if old else if_young)]
        disability = None
        if person.category == "disabled_serviceman":
            disability = rng.choice(names.DISABILITIES)
        medications = [names.CONDITIONS[c][2] for c in conditions if rng.random() < 0.85]
        insurance = rng.choices(_INSURANCE, weights=_INSURANCE_WEIGHTS)[0]
        checkup = seeder.days_ago(420, 3) if rng.random() < 0.8 else None
        created = seeder.moment(seeder.days_ago(700, 100))
        updated = seeder.moment(checkup) if checkup and checkup > created.date() else created
        yield {
            **seeder.record(created, updated),
            "beneficiary_id": person.id,
            "village_id": person.village.id,
            "conditions": "、".join(conditions) or None,
            "disability": disability,
            "insurance": insurance,
            "family_doctor": names.family_doctor(rng, person.village.township.name),
            "medications": "、".join(medications) or None,
            "last_checkup": checkup,
        }


def build_health_files(seeder, people):
    seeder.insert(HealthFile, _health_file_rows(seeder, people), label="health_files")


def build_health_events(seeder, people, chance):
    """Dated illnesses, hospital stays, medical aid and check-ups; returns the illnesses.

    The returned (person, event row) pairs of illnesses and hospital stays are what
    the liaisons went to see on a ``sick`` visit.
    """
    rng = seeder.rng
    kinds, weights = zip(*_EVENT_KINDS, strict=True)
    sick = []

    def rows():
        for person in people:
            if rng.random() >= chance:
                continue
            for _ in range(rng.choice((1, 1, 1, 2))):
                kind = rng.choices(kinds, weights=weights)[0]
                occurred = seeder.days_ago(540, 1)
                illness = rng.choice(names.ILLNESSES)
                row = {
                    **seeder.record(seeder.moment(occurred)),
                    "beneficiary_id": person.id,
                    "village_id": person.village.id,
                    "kind": kind,
                    "occurred_on": occurred,
                    "description": {
                        "illness": illness,
                        "hospital": f"{illness}，住院治疗 {rng.randint(3, 20)} 天",
                        "medical_aid": f"{illness}，重点优抚对象医疗救助",
                        "checkup": rng.choice(("年度免费体检，未见异常", "年度体检，血压偏高")),
                    }[kind],
                    "hospital": rng.choice(names.HOSPITALS) if kind != "illness" else None,
                    "aid_amount_fen": (rng.randrange(300, 8001, 50) * 100
                                       if kind == "medical_aid" else None),
                }
                if kind in ("illness", "hospital") and person.active:
                    sick.append((person, row, illness))
                yield row

    seeder.insert(HealthEvent, rows(), label="health_events")
    return sick
