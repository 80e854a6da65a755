"""Integrity signals: what is counted, over which days, and which figures stand out.

A *unit* is a branch or a member of staff who hands items over (a courier, or a clerk at the
counter). Each unit has counts per signal (`SIGNALS`); three of them are read as rates, a count
over the unit's trials (`RATES`): "yes, someone asked for money" per hand-over, the share of
failed attempts whose reason is "absent", and hand-overs far from the citizen's point per
hand-over.

The outlier rule compares a unit with the rest of its governorate (units of the same kind in the
same governorate, the unit itself left out so a big unit cannot hide in its own average):

- the baseline is the rest's rate, smoothed as (events + 1/2) / (trials + 1), so a governorate
  where nobody else saw the event still gives a small, non-zero rate to test against;
- the unit's count is tested against it with a one-sided exact binomial test: the chance of at
  least `k` events in `n` trials at the baseline rate;
- a unit is an outlier when that chance is below `alpha` (1 %), its rate is above the
  baseline, it has at least `min_trials` trials and `min_events` events (three each: one
  unhappy citizen is a complaint to read, not a pattern), and the rest has trials at all.

No I/O: the figures come in as values and the verdicts go out as values.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta

import msgspec

from delivery.custody.judge import FAIL_REASONS
from notifications.quiet_hours import BAGHDAD

# The signals in the order the page shows them; `failed:<reason>` split the failed attempts.
SIGNALS = ("delivered", "money_yes", "failed", *(f"failed:{r}" for r in FAIL_REASONS),
           "wrong_code", "lockout", "unconfirmed", "far", "stuck")
# Signals with items behind them (a lockout is of a member of staff, not of an item).
ITEM_SIGNALS = frozenset(SIGNALS) - {"lockout"}
RATES = {"money_yes": "delivered", "failed:absent": "failed", "far": "delivered"}

FAR_METRES = 500.0  # a hand-over farther than this from the citizen's shared point is "far"
STUCK_AFTER = timedelta(days=2)  # a non-final item untouched this long is stuck
DEFAULT_DAYS = 30
MAX_DAYS = 366  # a longer period is refused: a year is as far as one page should read


class Period(msgspec.Struct, frozen=True, kw_only=True):
    """Whole Asia/Baghdad days, `first` to `last` included."""

    first: date
    last: date

    @property
    def start(self) -> datetime:
        return datetime.combine(self.first, time(), tzinfo=BAGHDAD).astimezone(UTC)

    @property
    def end(self) -> datetime:
        """The first instant after the period (UTC)."""
        return datetime.combine(self.last + timedelta(days=1), time(),
                                tzinfo=BAGHDAD).astimezone(UTC)


def default_period(now: datetime, days: int = DEFAULT_DAYS) -> Period:
    """The last `days` Baghdad days, today included."""
    today = now.astimezone(BAGHDAD).date()
    return Period(first=today - timedelta(days=days - 1), last=today)


def period_of(first: date | None, last: date | None, now: datetime) -> Period:
    """The period asked for; a missing end is today, a missing start 30 days before the end."""
    end = last or now.astimezone(BAGHDAD).date()
    start = first or end - timedelta(days=DEFAULT_DAYS - 1)
    if start > end:
        raise ValueError("the first day comes after the last")
    if (end - start).days >= MAX_DAYS:
        raise ValueError(f"a period is at most {MAX_DAYS} days")
    period = Period(first=start, last=end)
    try:
        period.start, period.end  # noqa: B018 (the calendar's edges cannot be converted)
    except OverflowError:
        raise ValueError("the days are outside the calendar") from None
    return period


class Unit(msgspec.Struct, frozen=True, kw_only=True):
    """A branch (`key` its code) or a member of staff (`key` their username), with counts."""

    kind: str  # "branch" | "staff"
    key: str
    governorate: str | None
    counts: dict[str, int]
    name_ar: str = ""  # a branch's names; a member of staff is shown by `key` alone
    name_en: str = ""

    def count(self, signal: str) -> int:
        return self.counts.get(signal, 0)

    def rate(self, signal: str) -> float | None:
        """The unit's rate for a signal of `RATES`; None without trials."""
        trials = self.count(RATES[signal])
        return min(self.count(signal), trials) / trials if trials else None


class Rule(msgspec.Struct, frozen=True, kw_only=True):
    alpha: float = 0.01
    min_trials: int = 3
    min_events: int = 3


class Flag(msgspec.Struct, frozen=True, kw_only=True):
    """Why a unit's rate stands out: its rate, the rest's smoothed rate, the test's chance."""

    signal: str
    rate: float
    baseline: float
    p_value: float


def binomial_tail(k: int, n: int, p: float) -> float:
    """P(X ≥ k) for X ~ Binomial(n, p), 0 < p < 1, summed in log space."""
    if k <= 0:
        return 1.0
    log_p, log_q = math.log(p), math.log1p(-p)
    terms = (math.lgamma(n + 1) - math.lgamma(i + 1) - math.lgamma(n - i + 1)
             + i * log_p + (n - i) * log_q for i in range(k, n + 1))
    return min(1.0, sum(math.exp(t) for t in terms))


def outliers(units: Iterable[Unit], rule: Rule = Rule()) -> dict[tuple[str, str], list[Flag]]:
    """The flags of every unit that stands out from its governorate, by (kind, key)."""
    groups: dict[tuple[str, str | None], list[Unit]] = defaultdict(list)
    for unit in units:
        groups[unit.kind, unit.governorate].append(unit)
    flags: dict[tuple[str, str], list[Flag]] = defaultdict(list)
    for members in groups.values():
        for signal in RATES:
            for unit in members:
                if (flag := _judge(unit, members, signal, rule)) is not None:
                    flags[unit.kind, unit.key].append(flag)
    return dict(flags)


def _judge(unit: Unit, members: list[Unit], signal: str, rule: Rule) -> Flag | None:
    trials = unit.count(RATES[signal])
    events = min(unit.count(signal), trials)
    others = [u for u in members if u is not unit]
    rest_trials = sum(u.count(RATES[signal]) for u in others)
    rest_events = sum(min(u.count(signal), u.count(RATES[signal])) for u in others)
    if trials < rule.min_trials or events < rule.min_events or rest_trials == 0:
        return None
    baseline = (rest_events + 0.5) / (rest_trials + 1)
    rate = events / trials
    p_value = binomial_tail(events, trials, baseline)
    if rate <= baseline or p_value >= rule.alpha:
        return None
    return Flag(signal=signal, rate=rate, baseline=baseline, p_value=p_value)
