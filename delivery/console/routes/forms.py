"""The couriers' forms read as values: what each field must be, with a message in both languages.

Pure: no I/O. The services check the courier and write only when a form reads whole.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping

import msgspec

from delivery.planning.model import VEHICLES

CLOCK = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
MAX_CAPACITY = 500
MAX_REASON = 200
LEFT_OUT_REASONS = {
    "no_location": ("لا موقع، ولا حي أو محلة معروفة في العنوان",
                    "no point, and no known district or mahalla in the address"),
    "no_courier_on_shift": ("لا موزع بريد في الدوام", "no courier on shift"),
    "did_not_fit": ("لم يتسع له اليوم", "did not fit in the day"),
    "bag_full": ("حقائب الموزعين ممتلئة", "every courier's bag is full"),
    "shift_end": ("ينتهي الدوام قبل إيصاله والعودة", "the shift ends before it can be delivered"),
    "outside_window": ("لا يمكن الوصول في موعد المواطن", "cannot be reached in the citizen's window"),
    "window_passed": ("فات موعد المواطن", "the citizen's window passed"),
    "courier_unavailable": ("موزع البريد غير متاح", "courier unavailable"),
}


class FormProblem(Exception):
    """A form that cannot be taken: the field and a message in Arabic and English."""

    def __init__(self, field: str, ar: str, en: str) -> None:
        super().__init__(en)
        self.field, self.ar, self.en = field, ar, en


class ProfileForm(msgspec.Struct, frozen=True, kw_only=True):
    """A courier's usual vehicle, bag size and shift."""

    username: str
    vehicle: str
    capacity: int
    start: str
    end: str


class DayForm(msgspec.Struct, frozen=True, kw_only=True):
    """One day: off with a reason, or other hours than usual."""

    username: str
    day: dt.date
    off: bool
    reason: str
    start: str | None
    end: str | None


class ClearForm(msgspec.Struct, frozen=True, kw_only=True):
    """Back to the usual shift on a day."""

    username: str
    day: dt.date


def profile_form(data: Mapping[str, str]) -> ProfileForm:
    """The profile form, or FormProblem."""
    start, end = _shift(data)
    vehicle = _text(data, "vehicle")
    if vehicle not in VEHICLES:
        raise FormProblem("vehicle", "اختر وسيلة النقل", f"choose one of {', '.join(VEHICLES)}")
    return ProfileForm(username=_username(data), vehicle=vehicle, capacity=_capacity(data),
                       start=start, end=end)


def day_form(data: Mapping[str, str], today: dt.date) -> DayForm:
    """The day-off or other-hours form, or FormProblem; the day must not be past."""
    off = _text(data, "kind") != "hours"
    reason = _text(data, "reason")
    if len(reason) > MAX_REASON:
        raise FormProblem("reason", "السبب طويل جداً", f"the reason is longer than {MAX_REASON}")
    if off and not reason:
        raise FormProblem("reason", "اكتب سبب الإجازة", "give a reason for the day off")
    start, end = (None, None) if off else _shift(data)
    return DayForm(username=_username(data), day=_future_day(data, today), off=off,
                   reason=reason, start=start, end=end)


def clear_form(data: Mapping[str, str], today: dt.date) -> ClearForm:
    """The clear-a-day form, or FormProblem."""
    return ClearForm(username=_username(data), day=_future_day(data, today))


def _text(data: Mapping[str, str], name: str) -> str:
    return str(data.get(name) or "").strip()


def _username(data: Mapping[str, str]) -> str:
    username = _text(data, "username").lower()
    if not username or len(username) > 64:
        raise FormProblem("username", "اختر موزع البريد", "choose a courier")
    return username


def _capacity(data: Mapping[str, str]) -> int:
    text = _text(data, "capacity")
    if not text.isdigit() or not 0 < int(text) <= MAX_CAPACITY:
        raise FormProblem("capacity", f"سعة الحقيبة عدد بين 1 و{MAX_CAPACITY}",
                          f"the bag holds 1 to {MAX_CAPACITY} items")
    return int(text)


def _shift(data: Mapping[str, str]) -> tuple[str, str]:
    start, end = _text(data, "start"), _text(data, "end")
    if not CLOCK.match(start) or not CLOCK.match(end):
        raise FormProblem("start", "الوقت بصيغة ساعة:دقيقة مثل 08:30",
                          "times are HH:MM, such as 08:30")
    if _minutes(end) <= _minutes(start):
        raise FormProblem("end", "نهاية الدوام يجب أن تكون بعد بدايته",
                          "the shift must end after it starts")
    return start, end


def _minutes(clock: str) -> int:
    hours, minutes = clock.split(":")
    return int(hours) * 60 + int(minutes)


def _future_day(data: Mapping[str, str], today: dt.date) -> dt.date:
    try:
        day = dt.date.fromisoformat(_text(data, "day"))
    except ValueError:
        raise FormProblem("day", "اختر يوماً", "choose a day (YYYY-MM-DD)") from None
    if day < today:
        raise FormProblem("day", "هذا اليوم مضى", f"{day.isoformat()} is in the past")
    return day


def plan_day(data: Mapping[str, str], today: dt.date) -> dt.date:
    """The day to plan again: today or later."""
    return _future_day(data, today)
