"""The site view's words for age buckets, alert kinds and stopped messages: Arabic first, then
English (states and document types: `console.words`, through the layout)."""

from __future__ import annotations

from delivery.custody.stuck import Bucket

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
