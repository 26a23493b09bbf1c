"""EventBridge Scheduler's schedule expressions: their syntax, checked at validate time, and
the next run of one, computed for ``status``. Pure.

Two recurring forms, as the Scheduler user guide defines them ("Schedule types on
EventBridge Scheduler",
https://docs.aws.amazon.com/scheduler/latest/UserGuide/schedule-types.html):

* ``rate(VALUE UNIT)``: a positive whole VALUE; UNIT minute(s), hour(s) or day(s),
  singular when VALUE is 1 and plural otherwise. The first run is when the schedule is
  created, then every period.
* ``cron(MINUTES HOURS DAY-OF-MONTH MONTH DAY-OF-WEEK YEAR)``: six fields; ``, - * /`` in
  every field; ``?`` in day-of-month or day-of-week (exactly one of them must be ``?``);
  ``L`` and ``W`` in day-of-month (``L``, ``15W``, ``LW``); ``L`` and ``#`` in
  day-of-week (``6L`` the month's last Friday, ``2#1`` its first Monday); months 1-12 or
  JAN-DEC, days of week 1-7 (1 = Sunday) or SUN-SAT, years 1970-2199. Evaluated in the
  schedule's time zone.

A one-time ``at(...)`` schedule runs once: a job recurs, so it is refused.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

RATE_RE = re.compile(r"^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$")
CRON_RE = re.compile(r"^cron\((.*)\)$")
UNIT_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}
MONTHS = {m: i for i, m in enumerate(calendar.month_abbr) if m}  # JAN.. -> 1..
DAYS = {d: i for i, d in enumerate(("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"), 1)}
# field name, low, high, names
FIELDS: tuple[tuple[str, int, int, dict[str, int]], ...] = (
    ("minutes", 0, 59, {}),
    ("hours", 0, 23, {}),
    ("day-of-month", 1, 31, {}),
    ("month", 1, 12, {k.upper(): v for k, v in MONTHS.items()}),
    ("day-of-week", 1, 7, DAYS),
    ("year", 1970, 2199, {}),
)
SEARCH_YEARS = 5  # how far ahead ``next_run`` looks for a cron expression's next match


class ScheduleError(ValueError):
    """The expression is not one EventBridge Scheduler accepts; str() says why."""


@dataclass(frozen=True)
class Rate:
    """``rate(VALUE UNIT)``: every ``seconds``."""

    seconds: int


@dataclass(frozen=True)
class Cron:
    """``cron(...)``: the six fields as written."""

    minutes: str
    hours: str
    day_of_month: str
    month: str
    day_of_week: str
    year: str


Expression = Rate | Cron


def parse(text: str) -> Expression:
    """The expression ``text`` is, or ScheduleError saying what is wrong with it."""
    rate = RATE_RE.match(text)
    if rate:
        value, unit = int(rate.group(1)), rate.group(2)
        if value < 1:
            raise ScheduleError(f"'{text}': the rate must be a positive whole number")
        singular = unit.rstrip("s")
        if value == 1 and unit != singular:
            raise ScheduleError(f"'{text}': a rate of 1 takes '{singular}', not '{unit}'")
        if value > 1 and unit == singular:
            raise ScheduleError(f"'{text}': a rate over 1 takes '{singular}s', not '{unit}'")
        return Rate(value * UNIT_SECONDS[singular])
    cron = CRON_RE.match(text)
    if cron:
        return _cron(text, cron.group(1).split())
    if text.startswith("at("):
        raise ScheduleError(f"'{text}' runs once; a job recurs: use cron(...) or rate(...)")
    raise ScheduleError(
        f"'{text}' is not a schedule expression; use cron(MIN HOUR DAY MONTH WEEKDAY YEAR), "
        "e.g. cron(0 3 * * ? *), or rate(N minutes|hours|days), e.g. rate(6 hours)"
    )


def check_timezone(name: str) -> str | None:
    """Why ``name`` is not an IANA time zone name, or None."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        zones = available_timezones()
        if not zones:  # no time zone database on this machine: nothing to check against
            return None
        close = [z for z in sorted(zones) if z.lower() == name.lower()]
        hint = f" (did you mean {close[0]}?)" if close else " (e.g. UTC, Europe/Paris)"
        return f"'{name}' is not an IANA time zone name{hint}"
    return None


def next_run(
    expression: Expression, timezone: str, now: datetime, created: datetime | None = None
) -> datetime | None:
    """The first run after ``now`` (aware), in UTC; None when none is found (a cron
    expression whose years are past). A rate counts its periods from ``created``, the
    schedule's creation (None: from ``now``)."""
    if isinstance(expression, Rate):
        start = created or now
        periods = max(0, int((now - start).total_seconds() // expression.seconds) + 1)
        return (start + timedelta(seconds=periods * expression.seconds)).astimezone(UTC)
    zone = ZoneInfo(timezone)
    local = now.astimezone(zone).replace(second=0, microsecond=0) + timedelta(minutes=1)
    sets = _sets(expression)
    minutes, hours, months, years = sets
    day = local.date()
    last = date(min(local.year + SEARCH_YEARS, 2199), 12, 31)
    while day <= last:
        if day.year in years and day.month in months and _day_matches(expression, day):
            for hour in sorted(hours):
                for minute in sorted(minutes):
                    moment = datetime(day.year, day.month, day.day, hour, minute, tzinfo=zone)
                    if moment >= local:
                        return moment.astimezone(UTC)
        day += timedelta(days=1)
    return None


# --- internals ---------------------------------------------------------------------------


def _cron(text: str, parts: list[str]) -> Cron:
    if len(parts) != 6:
        raise ScheduleError(
            f"'{text}' has {len(parts)} fields; cron takes six: minutes hours day-of-month "
            "month day-of-week year, e.g. cron(0 3 * * ? *)"
        )
    cron = Cron(*parts)
    if (cron.day_of_month == "?") == (cron.day_of_week == "?"):
        raise ScheduleError(
            f"'{text}': exactly one of day-of-month and day-of-week must be '?' "
            "(e.g. cron(0 3 * * ? *) daily, cron(0 3 ? * MON *) on Mondays)"
        )
    for (name, low, high, names), value in zip(FIELDS, parts, strict=True):
        try:
            if name == "day-of-month":
                _day_of_month(value)
            elif name == "day-of-week":
                _day_of_week(value)
            else:
                _values(value, low, high, names)
        except ScheduleError as exc:
            raise ScheduleError(f"'{text}': {name} {exc}") from None
    return cron


def _number(word: str, low: int, high: int, names: dict[str, int]) -> int:
    value = names.get(word.upper()) if not word.isdigit() else int(word)
    if value is None or not low <= value <= high:
        raise ScheduleError(f"'{word}' is not within {low}-{high}")
    return value


def _values(text: str, low: int, high: int, names: dict[str, int]) -> set[int]:
    """The values of a field made of ``, - * /`` (no ``?``, ``L``, ``W``, ``#``)."""
    out: set[int] = set()
    for item in text.split(","):
        base, _, step_text = item.partition("/")
        step = 1
        if step_text:
            if not step_text.isdigit() or int(step_text) < 1:
                raise ScheduleError(f"'{item}': the step after / must be a positive number")
            step = int(step_text)
        if base == "*":
            first, last = low, high
        elif "-" in base:
            a, _, b = base.partition("-")
            first, last = _number(a, low, high, names), _number(b, low, high, names)
        else:
            first = _number(base, low, high, names)
            last = high if step_text else first
        if first > last:
            raise ScheduleError(f"'{item}': the range runs backwards")
        out.update(range(first, last + 1, step))
    return out


def _day_of_month(text: str) -> None:
    if text in ("?", "L", "LW"):
        return
    if text.endswith("W") and text[:-1].isdigit():
        _number(text[:-1], 1, 31, {})
        return
    _values(text, 1, 31, {})


def _day_of_week(text: str) -> None:
    if text == "?":
        return
    if "#" in text:
        day, _, nth = text.partition("#")
        _number(day, 1, 7, DAYS)
        if not nth.isdigit() or not 1 <= int(nth) <= 5:
            raise ScheduleError(f"'{text}': the week after # must be 1-5")
        return
    if text.endswith("L") and len(text) > 1:
        _number(text[:-1], 1, 7, DAYS)
        return
    _values(text, 1, 7, DAYS)


def _sets(cron: Cron) -> tuple[set[int], set[int], set[int], set[int]]:
    return (
        _values(cron.minutes, 0, 59, {}),
        _values(cron.hours, 0, 23, {}),
        _values(cron.month, 1, 12, FIELDS[3][3]),
        _values(cron.year, 1970, 2199, {}),
    )


def _weekday(day: date) -> int:
    """Cron's day of the week: 1 = Sunday ... 7 = Saturday."""
    return (day.weekday() + 1) % 7 + 1


def _day_matches(cron: Cron, day: date) -> bool:
    month_days = calendar.monthrange(day.year, day.month)[1]
    dom, dow = cron.day_of_month, cron.day_of_week
    if dom != "?":
        if dom == "L":
            return day.day == month_days
        if dom.endswith("W"):
            target = month_days if dom == "LW" else min(int(dom[:-1]), month_days)
            return day == _nearest_weekday(date(day.year, day.month, target))
        return day.day in _values(dom, 1, 31, {})
    if "#" in dow:
        wanted, _, nth = dow.partition("#")
        number = _number(wanted, 1, 7, DAYS)
        return _weekday(day) == number and (day.day - 1) // 7 + 1 == int(nth)
    if dow.endswith("L") and len(dow) > 1:
        number = _number(dow[:-1], 1, 7, DAYS)
        return _weekday(day) == number and day.day + 7 > month_days
    return _weekday(day) in _values(dow, 1, 7, DAYS)


def _nearest_weekday(target: date) -> date:
    """``W``: the weekday nearest ``target`` within its month."""
    if target.weekday() < 5:
        return target
    month_days = calendar.monthrange(target.year, target.month)[1]
    if target.weekday() == 5:  # Saturday: the Friday before, or Monday when on the 1st
        return target - timedelta(days=1) if target.day > 1 else target + timedelta(days=2)
    # Sunday: the Monday after, or the Friday before at the month's end
    return target + timedelta(days=1) if target.day < month_days else target - timedelta(days=2)
