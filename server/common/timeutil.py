"""Time rules: the database stores UTC; visit-day rules use the county's zone."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context


def system_clock():
    return datetime.now(UTC)


def utcnow():
    """Now (aware, UTC) by the app's clock: ``LIANXIN_CLOCK``, a callable returning an
    aware datetime, or the system's. Every rule that reads "now" or "today" comes
    here, so a test, a replay or a demo can set the day explicitly."""
    clock = current_app.config.get("LIANXIN_CLOCK") if has_app_context() else None
    return (clock or system_clock)()


def county_zone():
    name = current_app.config["LIANXIN_TZ"] if has_app_context() else "Asia/Shanghai"
    return ZoneInfo(name)


def county_today(now=None):
    """Today's date in the county, which is what 'not after today' means for a visit."""
    return (now or utcnow()).astimezone(county_zone()).date()


def visit_day_for(year, month):
    day = current_app.config["LIANXIN_VISIT_DAY"] if has_app_context() else 18
    return date(year, month, day)


def month_bounds(month):
    """First day of ``month`` ("YYYY-MM") and first day of the next month."""
    year, mon = (int(part) for part in month.split("-"))
    first = date(year, mon, 1)
    following = date(year + (mon == 12), mon % 12 + 1, 1)
    return first, following
