"""The county's regions (county -> townships -> villages) and its users.

Codes follow the national pattern: county (6 digits) + township (3: 1xx for 镇,
2xx for 乡) + village (3: 0xx for 社区, 2xx for 村). "Township 1" is the first
township by code, "village 1" of a township its first village by code.
"""

from datetime import timedelta

from sqlalchemy import select

from ..extensions import db
from ..regions.models import Region
from ..users.models import User
from . import names
from .context import Township, Village

# The demo accounts INTERFACES.md promises: username -> (role, display name).
FIXED_ACCOUNTS = {
    "admin": ("admin", "系统管理员"),
    "county1": ("county_officer", "何建平"),
    "township1": ("township_officer", "罗晓红"),
    "liaison1": ("liaison", "王德福"),
    "liaison2": ("liaison", "李秀英"),
    "liaison3": ("liaison", "张国华"),
}


def _village_counts(rng, townships, villages):
    """How many villages each township gets: as even as possible, the extras at random."""
    base, extra = divmod(villages, townships)
    lucky = set(rng.sample(range(townships), extra))
    return [base + (i in lucky) for i in range(townships)]


def _township_codes(count):
    """Roughly two in three townships are towns (镇, 1xx), the rest 乡 (2xx)."""
    towns = max(1, round(count * 0.65))
    return [("镇", f"{100 + i + 1}") for i in range(towns)] + [
        ("乡", f"{200 + i + 1}") for i in range(count - towns)
    ]


def build_regions(seeder, township_count, village_count, county_code=names.COUNTY_CODE,
                  county_name=names.COUNTY_NAME):
    """Insert the region tree of the county ``county_code``; returns its id and the
    townships (villages inside)."""
    rng = seeder.rng
    created = seeder.moment(seeder.today - timedelta(days=400))
    county = {**seeder.record(created), "code": county_code, "name": county_name,
              "level": "county", "parent_id": None}
    rows = [county]
    stems = rng.sample(names.TOWNSHIP_STEMS, township_count)
    counts = _village_counts(rng, township_count, village_count)
    village_stems = iter(names.village_names(rng, village_count))
    townships = []
    for (suffix, number), stem, count in zip(_township_codes(township_count), stems, counts,
                                             strict=True):
        row = {**seeder.record(created), "code": county_code + number,
               "name": stem + suffix, "level": "township", "parent_id": county["id"]}
        rows.append(row)
        township = Township(id=row["id"], code=row["code"], name=row["name"])
        townships.append(township)
        # A town with many villages has its seat as a 社区; everything else is a 村.
        communities = 1 if suffix == "镇" and count >= 6 else 0
        lat, lng = 31.3 + rng.random() * 0.6, 106.8 + rng.random() * 0.7
        for index in range(count):
            is_community = index < communities
            code = township.code + (f"{index + 1:03d}" if is_community
                                    else f"{200 + index - communities + 1}")
            village_row = {
                **seeder.record(created), "code": code,
                "name": (stem if is_community else next(village_stems))
                + ("社区" if is_community else "村"),
                "level": "village", "parent_id": township.id,
            }
            if is_community:
                next(village_stems)  # keep the stream of names independent of the mix
            rows.append(village_row)
            centre = (round(lat + rng.uniform(-0.05, 0.05), 5),
                      round(lng + rng.uniform(-0.05, 0.05), 5))
            township.villages.append(Village(
                id=village_row["id"], code=code, name=village_row["name"], township=township,
                is_community=is_community, centre=centre,
            ))
    seeder.insert(Region, rows, label="regions")
    seeder.counts["townships"] = seeder.counts.get("townships", 0) + township_count
    seeder.counts["villages"] = seeder.counts.get("villages", 0) + village_count
    return county["id"], townships


def _account_plan(county_id, townships, county_officer=None):
    """(username, role, region id, fixed display name or None) for every seeded user: the
    demo accounts, or (another county of a prefecture) one county officer of that name."""
    if county_officer is not None:
        return [(county_officer, "county_officer", county_id, None),
                *_staff_and_liaisons(townships, {county_id})]
    first, second = townships[0], townships[1 % len(townships)]
    fixed_regions = {
        "admin": county_id,
        "county1": county_id,
        "township1": first.id,
        "liaison1": first.villages[0].id,
        "liaison2": first.villages[1].id if len(first.villages) > 1 else None,
        "liaison3": second.villages[0].id if second is not first else None,
    }
    plan = []
    taken = set()
    for username, (role, display) in FIXED_ACCOUNTS.items():
        if fixed_regions[username] is not None:
            plan.append((username, role, fixed_regions[username], display))
            taken.add(fixed_regions[username])
    return plan + _staff_and_liaisons(townships, taken)


def _staff_and_liaisons(townships, taken):
    """An officer for every township, a liaison for every village not ``taken``."""
    plan = []
    for township in townships:
        if township.id not in taken:
            plan.append((f"township_{township.code}", "township_officer", township.id, None))
        for village in township.villages:
            if village.id not in taken:
                plan.append((f"liaison_{village.code}", "liaison", village.id, None))
    return plan


def build_users(seeder, county_id, townships, password_hash, county_officer=None):
    """One officer per township and one liaison per village, the demo accounts among them
    (``county_officer``: another county's, named so, instead of the demo accounts)."""
    rng = seeder.rng
    created = seeder.moment(seeder.today - timedelta(days=365))
    rows = []
    for username, role, region_id, display in _account_plan(county_id, townships,
                                                            county_officer):
        if display is None:
            sex = "male" if rng.random() < 0.6 else "female"
            display = names.person_name(rng, sex, 1955 if role == "liaison" else 1980)
        rows.append({
            "username": username, "display_name": display, "phone": names.mobile(rng),
            "password_hash": password_hash, "role": role, "region_id": region_id,
            "active": True, "created_at": created, "updated_at": created,
        })
    seeder.insert(User, rows, label="users")
    ids = dict(db.session.execute(select(User.region_id, User.id)).all())
    for township in townships:
        township.officer_id = ids[township.id]
        for village in township.villages:
            village.liaison_id = ids[village.id]
