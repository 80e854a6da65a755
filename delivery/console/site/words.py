"""The site view's words for states, age buckets and alert kinds: Arabic first, then English."""

from __future__ import annotations

from delivery.custody.model import State
from delivery.custody.stuck import Bucket

STATES: dict[str, tuple[str, str]] = {
    State.registered: ("مسجّلة", "Registered"),
    State.received: ("مستلمة في مركز الفرز", "Received at sorting"),
    State.in_transit: ("في الطريق", "In transit"),
    State.at_branch: ("في الفرع", "At the branch"),
    State.out_for_delivery: ("مع الموزّع", "Out for delivery"),
    State.delivery_failed: ("تعذّر التسليم", "Delivery failed"),
    State.ready_for_pickup: ("جاهزة للاستلام", "Ready for pickup"),
    State.delivered: ("سُلّمت", "Delivered"),
    State.collected: ("استُلمت من الفرع", "Collected"),
    State.returning: ("عائدة إلى الجهة", "Returning"),
    State.returned_to_agency: ("أعيدت إلى الجهة", "Returned to agency"),
    State.cancelled: ("ملغاة", "Cancelled"),
    State.lost: ("مفقودة", "Lost"),
    State.damaged: ("تالفة", "Damaged"),
}
assert set(STATES) == set(State)

BUCKETS: dict[str, tuple[str, str]] = {
    Bucket.over: ("فوق الحد", "Over the limit"),
    Bucket.double: ("فوق ضعفه", "Over twice it"),
    Bucket.week: ("فوق أسبوع", "Over a week"),
}

# A stopped outbox row: out of retries, or refused for good.
DEAD_STATUSES: dict[str, tuple[str, str]] = {
    "dead": ("توقفت بعد المحاولات", "out of retries"),
    "failed": ("رُفضت نهائياً", "refused for good"),
}

ALERTS: dict[str, tuple[str, str]] = {
    "unconfirmed_handover": ("تسليم غير مؤكَّد", "Unconfirmed hand-over"),
    "unconfirmed_manifest": ("بيان كيس غير مؤكَّد", "Unconfirmed bag manifest"),
    "missort": ("فرز خاطئ", "Missort"),
    "locked": ("رمز مقفل", "Locked code"),
    "staff_locked": ("موظف موقوف عن التسليم", "Staff locked out"),
    "clock": ("ساعة جهاز خاطئة", "Device clock"),
    "stuck": ("متوقفة", "Stuck"),
    "unbagged": ("أُخرجت من كيس", "Taken out of a bag"),
}


def alert_words(kind: str) -> tuple[str, str]:
    """An alert kind's words; a kind recorded by a newer release shows as itself."""
    return ALERTS.get(kind, (kind, kind))
