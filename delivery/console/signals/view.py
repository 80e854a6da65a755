"""What the signals page shows, from a board: a block per signal with its chart and its rows,
each figure linking to the items behind it. Pure: values in, values out."""

from __future__ import annotations

from urllib.parse import urlencode

import msgspec
from markupsafe import Markup

from delivery.console.signals.model import FAIL_REASONS, RATES, Period, Unit
from delivery.console.signals.services import Board
from delivery.console.signals.svg import Bar, bar_chart

# (Arabic, English) names of each signal, as the inspector reads them.
NAMES = {
    "delivered": ("التسليمات (للمواطن أو من الفرع)", "Hand-overs (delivered or collected)"),
    "money_yes": ("«طُلب مني مال»: إجابات نعم", "\"Asked for money\": yes answers"),
    "failed": ("محاولات تسليم فاشلة", "Failed delivery attempts"),
    "failed:absent": ("الفشل بسبب غياب المواطن", "Failures because the citizen was absent"),
    "wrong_code": ("رموز خاطئة عند التسليم", "Wrong codes at hand-over"),
    "lockout": ("إيقاف الموظف بعد رموز خاطئة", "Staff locked out after wrong codes"),
    "unconfirmed": ("تسليمات لم يؤكدها المستلم (الآن)",
                    "Hand-overs not confirmed by the receiver (now)"),
    "far": ("تسليم على بعد أكثر من 500 م من موقع المواطن",
            "Hand-overs more than 500 m from the citizen's point"),
    "stuck": ("مواد متوقفة أكثر من يومين (الآن)", "Items untouched for over 2 days (now)"),
}
REASONS = {
    "absent": ("غياب", "absent"), "refused": ("رفض", "refused"),
    "address_not_found": ("عنوان غير موجود", "address not found"),
    "unsafe": ("غير آمن", "unsafe"), "wrong_person": ("شخص آخر", "wrong person"),
    "other": ("أخرى", "other"),
}
SHOWN = ("delivered", "money_yes", "failed", "failed:absent", "wrong_code", "lockout",
         "unconfirmed", "far", "stuck")
OUTLIER = ("غير معتاد", "unusual")


class Row(msgspec.Struct, frozen=True, kw_only=True):
    label: str
    count: int
    link: str  # the items behind the count (a lockout's: the wrong codes that caused it)
    rate: str  # "40 % of 5", or ""
    marked: bool
    reasons: list[tuple[str, int, str]]  # (reason's words, count, link), for failures


class Block(msgspec.Struct, frozen=True, kw_only=True):
    signal: str
    title: str
    chart: Markup
    rows: list[Row]


def pick(lang: str, words: tuple[str, str]) -> str:
    return words[0] if lang == "ar" else words[1]


def blocks(board: Board, units: list[Unit], lang: str) -> list[Block]:
    """A block per signal some unit has, in the page's order."""
    return [_block(board, units, signal, lang) for signal in SHOWN
            if any(u.count(signal) for u in units)]


def link(signal: str, unit: Unit, period: Period) -> str:
    """The drill-down of one figure."""
    who = "branch" if unit.kind == "branch" else "courier"
    query = {"signal": signal, who: unit.key, "from": period.first.isoformat(),
             "to": period.last.isoformat()}
    return "/ops/signals/items?" + urlencode(query)


def _block(board: Board, units: list[Unit], signal: str, lang: str) -> Block:
    shown = [u for u in units if u.count(signal)]
    rows = [_row(board, u, signal, lang) for u in shown]
    rated = signal in RATES
    bars = [Bar(label=r.label, value=(u.rate(signal) or 0) if rated else r.count,
                shown=f"{u.rate(signal) or 0:.0%}" if rated else str(r.count), marked=r.marked)
            for u, r in zip(shown, rows, strict=True)]
    title = pick(lang, NAMES[signal])
    marker = "⚠ " + pick(lang, OUTLIER) + ":"
    return Block(signal=signal, title=title, rows=rows,
                 chart=Markup(bar_chart(title, bars, rtl=lang == "ar", marker=marker)))  # noqa: S704


def _row(board: Board, unit: Unit, signal: str, lang: str) -> Row:
    rate = unit.rate(signal) if signal in RATES else None
    of = {"ar": "من", "en": "of"}.get(lang, "of")
    reasons = ([(pick(lang, REASONS[r]), unit.count(f"failed:{r}"),
                 link(f"failed:{r}", unit, board.period))
                for r in FAIL_REASONS if unit.count(f"failed:{r}")] if signal == "failed" else [])
    return Row(label=_label(unit, lang), count=unit.count(signal),
               link=link("wrong_code" if signal == "lockout" else signal, unit, board.period),
               rate="" if rate is None else f"{rate:.0%} {of} {unit.count(RATES[signal])}",
               marked=board.flagged(unit, signal), reasons=reasons)


def _label(unit: Unit, lang: str) -> str:
    name = pick(lang, (unit.name_ar, unit.name_en))
    return f"{unit.key} {name}" if name else unit.key
