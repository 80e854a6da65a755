"""The page in words: one `TrackOut` per language, rendered as HTML or sent as JSON."""

from __future__ import annotations

from datetime import datetime

import msgspec

from delivery.custody.doctypes import DocumentTypes
from delivery.custody.model import HOLD_STATES, State, type_rules
from delivery.intake.schemas import Language
from delivery.platform.privacy import mask_name, mask_phone
from delivery.tracking import i18n, journey
from delivery.tracking.model import WINDOWS
from delivery.tracking.services import PageView, PickupOption
from delivery.tracking.store import TrackedItem

_WEEK = ("sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday")


class Labelled(msgspec.Struct, frozen=True, kw_only=True):
    """A code and its words in the page's language."""

    code: str
    label: str


class HoursOut(msgspec.Struct, frozen=True, kw_only=True):
    """Opening hours of some days of the week, in words."""

    days: str
    open: str
    close: str
    label: str  # the hours as a range in words


class BranchOut(msgspec.Struct, frozen=True, kw_only=True):
    """The branch that holds or delivers the document: where, when open, a `geo:` link."""

    code: str
    name: str
    hours: list[HoursOut]
    lat: float
    lon: float
    geo: str


class PickupOptionOut(msgspec.Struct, frozen=True, kw_only=True):
    """A branch the citizen may choose for pickup, and how far it is from them."""

    code: str
    name: str
    distance: str | None
    distance_km: float | None
    current: bool


class DayOut(msgspec.Struct, frozen=True, kw_only=True):
    """A day, as an ISO date and in words."""

    date: str
    label: str


class EventOut(msgspec.Struct, frozen=True, kw_only=True):
    """A step of the document's journey, in words, newest first."""

    code: str
    label: str
    at: str
    at_label: str


class HolderOut(msgspec.Struct, frozen=True, kw_only=True):
    """The holder, masked: initials and the last digits of the phone."""

    name: str
    phone: str


class ScheduleOut(msgspec.Struct, frozen=True, kw_only=True):
    """The delivery day and window the citizen chose."""

    date: str
    label: str
    window: Labelled


class AddressOut(msgspec.Struct, frozen=True, kw_only=True):
    """Only what the citizen may want confirmed; the details stay with the courier."""

    district: str | None
    location_shared: bool
    address_given: bool


class ChoicesOut(msgspec.Struct, frozen=True, kw_only=True):
    """What the citizen may choose now, and the options for each choice."""

    choose_home: bool
    choose_pickup: bool
    change_branch: bool
    share_location: bool
    reschedule: bool
    report: bool
    report_received: bool
    pickup_branches: list[PickupOptionOut]
    days: list[DayOut]
    windows: list[Labelled]


class StepOut(msgspec.Struct, frozen=True, kw_only=True):
    """One of the five steps on the document's way to the citizen."""

    code: str
    label: str
    current: bool


class TrackOut(msgspec.Struct, frozen=True, kw_only=True):
    """The citizen's view of their document."""

    language: Language
    dir: str
    tracking_number: str
    document_type: Labelled
    state: Labelled
    steps: list[StepOut]
    next: str | None  # what happens next, and what the citizen can do now
    first_task: str | None  # the one form the page opens: mode, location or report
    holder: HolderOut
    delivery_mode: Labelled
    branch: BranchOut | None
    pickup_deadline: DayOut | None
    bring: list[str]
    schedule: ScheduleOut | None
    address: AddressOut
    timeline: list[EventOut]
    choices: ChoicesOut
    personal_data_removed: DayOut | None = None  # the day the holder's data was purged


Windows = dict[str, tuple[str, str]]
DEFAULT_WINDOWS: Windows = {"morning": ("08:00", "12:00"), "afternoon": ("12:00", "16:00")}


def present(page: PageView, language: str, types: DocumentTypes,
            windows: Windows = DEFAULT_WINDOWS) -> TrackOut:
    """The page's content in one language."""
    item, w = page.item, (lambda key: i18n.word(language, key))
    doc_type = types.get(item.document_type)
    known = item.has_address or item.location_source == "citizen_geolocation"
    return TrackOut(
        language=language, dir=i18n.direction(language), tracking_number=item.tracking_number,
        document_type=Labelled(code=item.document_type,
                               label=doc_type.name(language) if doc_type else item.document_type),
        state=Labelled(code=item.state, label=i18n.state_phrase(language, item.state)),
        steps=_steps(item, language), next=i18n.next_phrase(language, item.state),
        first_task=journey.first_task(page.offers, item.delivery_mode, location_known=known),
        holder=HolderOut(name=mask_name(item.citizen_name or ""),
                         phone=mask_phone(item.citizen_phone or "")),
        delivery_mode=Labelled(code=item.delivery_mode or "none",
                               label=w(f"mode_{item.delivery_mode or 'none'}")),
        branch=_branch(item, language), pickup_deadline=_deadline(item, language),
        bring=_bring(item, language, types), schedule=_schedule(item, language, windows),
        address=AddressOut(district=item.district, address_given=item.has_address,
                           location_shared=item.location_source == "citizen_geolocation"),
        timeline=_timeline(item, language), choices=_choices(page, language, windows),
        personal_data_removed=_day(item.pii_purged_at, language),
    )


def _steps(item: TrackedItem, language: str) -> list[StepOut]:
    codes, current = journey.steps(State(item.state), item.delivery_mode)
    if current is None:
        return []
    return [StepOut(code=c, label=i18n.word(language, f"step_{c}"), current=c == current)
            for c in codes]


def _window(language: str, code: str, windows: Windows) -> Labelled:
    start, end = windows.get(code, DEFAULT_WINDOWS[code])
    return Labelled(code=code, label=i18n.window_phrase(language, code, start, end))


def _branch(item: TrackedItem, language: str) -> BranchOut | None:
    if item.branch_code is None or item.branch_lat is None or item.branch_lon is None:
        return None
    names = {"ar": item.branch_name_ar, "en": item.branch_name_en, "ckb": item.branch_name_ckb}
    return BranchOut(code=item.branch_code, name=names[language] or item.branch_code,
                     hours=hours(item.branch_hours or [], language), lat=item.branch_lat,
                     lon=item.branch_lon, geo=geo_uri(item.branch_lat, item.branch_lon))


def geo_uri(lat: float, lon: float) -> str:
    """An RFC 5870 link that phones open in their own maps app, with no map from us."""
    return f"geo:{lat:.5f},{lon:.5f}?q={lat:.5f},{lon:.5f}"


def hours(opening_hours: list, language: str) -> list[HoursOut]:
    """Opening hours as '{Sunday – Thursday} 08:00–14:00' lines."""
    out = []
    for entry in opening_hours:
        days = [i18n.day_name(language, d) for d in _week_ordered(entry.get("days", []))]
        label = f"{days[0]} – {days[-1]}" if len(days) > 2 and _consecutive(entry) else \
            "، ".join(days) if language in i18n.RTL else ", ".join(days)
        opens, closes = entry.get("open", ""), entry.get("close", "")
        out.append(HoursOut(days=label, open=i18n.numerals(language, opens),
                            close=i18n.numerals(language, closes),
                            label=i18n.time_range(language, opens, closes)))
    return out


def _week_key(day: str) -> int:
    short = day.lower()[:3]
    return next((i for i, d in enumerate(_WEEK) if d.startswith(short)), 7)


def _week_ordered(days: list[str]) -> list[str]:
    return sorted(days, key=_week_key)


def _consecutive(entry: dict) -> bool:
    keys = sorted(_week_key(d) for d in entry.get("days", []))
    return keys == list(range(keys[0], keys[0] + len(keys)))


def _deadline(item: TrackedItem, language: str) -> DayOut | None:
    return _day(item.hold_until, language) if item.state in HOLD_STATES else None


def _day(at: datetime | None, language: str) -> DayOut | None:
    if at is None:
        return None
    day = at.astimezone(i18n.BAGHDAD).date()
    return DayOut(date=day.isoformat(), label=i18n.format_date(language, day))


def _bring(item: TrackedItem, language: str, types: DocumentTypes) -> list[str]:
    if not journey.bring_applies(State(item.state), item.delivery_mode):
        return []
    proxy = "bring_proxy" if type_rules(types.get(item.document_type)).proxy_allowed \
        else "bring_self"
    return [i18n.word(language, k) for k in ("bring_id", "bring_code", proxy)]


def _schedule(item: TrackedItem, language: str, windows: Windows) -> ScheduleOut | None:
    if item.delivery_day is None or item.delivery_window is None:
        return None
    return ScheduleOut(date=item.delivery_day.isoformat(),
                       label=i18n.format_date(language, item.delivery_day),
                       window=_window(language, item.delivery_window, windows))


def _timeline(item: TrackedItem, language: str) -> list[EventOut]:
    events = []
    for code, at in item.events:
        label = i18n.event_phrase(language, code)
        if label is not None:
            events.append(EventOut(code=code, label=label, at=at.isoformat(),
                                   at_label=i18n.format_moment(language, at)))
    return events


def _choices(page: PageView, language: str, windows: Windows) -> ChoicesOut:
    o = page.offers
    return ChoicesOut(
        choose_home=o.choose_home, choose_pickup=o.choose_pickup, change_branch=o.change_branch,
        share_location=o.share_location, reschedule=o.reschedule, report=o.report,
        report_received=page.item.reported,
        pickup_branches=[_option(p, page.item, language) for p in page.pickup_options],
        days=[DayOut(date=d.isoformat(), label=i18n.format_date(language, d)) for d in page.days],
        windows=[_window(language, c, windows) for c in WINDOWS],
    )


def _option(option: PickupOption, item: TrackedItem, language: str) -> PickupOptionOut:
    b = option.branch
    name = {"ar": b.name_ar, "en": b.name_en, "ckb": b.name_ckb}[language]
    km = option.distance_km
    distance = None if km is None else \
        i18n.numerals(language, f"{km:.1f}") + " " + i18n.word(language, "km")
    return PickupOptionOut(code=b.code, name=name, distance=distance, distance_km=km,
                           current=b.code == item.branch_code and item.delivery_mode == "pickup")
