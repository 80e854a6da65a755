"""The console's words for states, custody actions and document types, for staff (Arabic,
English); the citizen's page has its own, written to the citizen (`tracking/i18n.py`). A test
holds these tables complete against the custody model."""

from __future__ import annotations

from notifications.render import DOCUMENT_WORDS

STATES: dict[str, tuple[str, str]] = {
    "registered": ("مسجّلة", "registered"),
    "received": ("في مركز الفرز", "at the sorting centre"),
    "in_transit": ("في الطريق إلى الفرع", "in transit to the branch"),
    "at_branch": ("في الفرع", "at the branch"),
    "out_for_delivery": ("مع موزع البريد", "out for delivery"),
    "delivery_failed": ("تعذّر التوصيل", "delivery failed"),
    "ready_for_pickup": ("جاهزة للاستلام", "ready for pickup"),
    "delivered": ("سُلّمت", "delivered"),
    "collected": ("استُلمت من الفرع", "collected"),
    "returning": ("عائدة إلى الجهة المُصدِرة", "returning"),
    "returned_to_agency": ("أُعيدت إلى الجهة المُصدِرة", "returned to the agency"),
    "cancelled": ("أُلغيت", "cancelled"),
    "lost": ("مفقودة", "lost"),
    "damaged": ("تالفة", "damaged"),
}
ACTIONS: dict[str, tuple[str, str]] = {
    "register": ("تسجيل من الجهة", "registered by the agency"),
    "receive": ("استلام في مركز الفرز", "received at the sorting centre"),
    "bag": ("وضع في كيس", "bagged"),
    "unbag": ("إخراج من الكيس", "taken out of a bag"),
    "dispatch": ("إرسال إلى الفرع", "dispatched"),
    "arrive": ("وصول إلى الفرع", "arrived at the branch"),
    "to_courier": ("تسليم إلى موزع البريد", "handed to a courier"),
    "take": ("استلام من موزع البريد", "taken by the courier"),
    "deliver": ("تسليم إلى المواطن", "delivered to the citizen"),
    "fail": ("محاولة توصيل فاشلة", "failed delivery attempt"),
    "return": ("إعادة إلى الفرع", "returned to the branch"),
    "accept": ("قبول في الفرع", "accepted at the branch"),
    "shelve": ("وضع على رف الاستلام", "shelved for pickup"),
    "collect": ("استلام المواطن من الفرع", "collected at the branch"),
    "send_back": ("إعادة إلى مركز الفرز", "sent back"),
    "returned": ("تسليم إلى الجهة المُصدِرة", "returned to the agency"),
    "cancel": ("إلغاء من الجهة", "recalled by the agency"),
    "take_old": ("أخذ الوثيقة القديمة", "old document taken"),
    "mark_lost": ("تسجيل كمفقودة", "marked lost"),
    "mark_damaged": ("تسجيل كتالفة", "marked damaged"),
    "found": ("عُثر عليها", "found"),
    "reissue_code": ("رمز تحقق جديد", "new code sent"),
    "unlock_code": ("فك القفل ورمز جديد", "unlocked, new code sent"),
    "expire_hold": ("انتهاء مدة الحفظ", "hold expired"),
    "max_attempts": ("استنفاد محاولات التوصيل", "delivery attempts used up"),
    "choose_home": ("اختيار التوصيل إلى المنزل", "chose home delivery"),
    "choose_pickup": ("اختيار الاستلام من الفرع", "chose pickup"),
    "share_location": ("مشاركة الموقع أو العنوان", "shared a location or address"),
    "reschedule": ("اختيار يوم التوصيل", "chose a delivery day"),
    "report": ("جواب سؤال طلب المال", "answered the money question"),
}


def state_words(state: str, lang: str) -> str:
    return STATES.get(state, (state, state))[0 if lang == "ar" else 1]


def action_words(action: str, lang: str) -> str:
    return ACTIONS.get(action, (action, action))[0 if lang == "ar" else 1]


def document_words(document_type: str, lang: str) -> str:
    """The document type as the issuing offices name it (Arabic) or its code (English)."""
    if lang == "ar":
        return DOCUMENT_WORDS["ar"].get(document_type, document_type)
    return document_type.replace("_", " ")
