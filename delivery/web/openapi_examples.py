"""Examples in the OpenAPI document: one realistic world (a passport for a citizen of Baghdad's
Karkh, branch BG-002, its tracking number RR123456785IQ), values by field name for every other
schema, and whole objects where a made-up combination would mislead.

Every example must validate against its schema: tests/api/test_openapi.py checks them all.
"""

from __future__ import annotations

from typing import Any

TRACKING_NUMBER = "RR123456785IQ"
EXTERNAL_REF = "MOI-PP-2026-000123"
TOKEN = "pQ3v8yWm2Zt5Rk9xLb7NcA"  # noqa: S105 (an example)
AGENCY = "MOI-PASSPORTS"
KEY_PREFIX = "k3x9v2m8qa"
BRANCH = "BG-002"
CENTRE = "SC-BG"
BAG_ID = "BAG0000005724"
DAY = "2026-03-01"
MOMENT = "2026-03-01T09:30:00+03:00"
LATER = "2026-03-01T11:05:00+03:00"
CURSOR = "WyIyMDI2LTAzLTAxVDA2OjMwOjAwKzAwOjAwIiw0MjExXQ"
DEVICE_ID = "HH-BG002-0042"
WEBHOOK_SECRET = "whsec_bXktZXhhbXBsZS1zZWNyZXQtbm90LWEtcmVhbC1vbmU"  # noqa: S105 (an example)
UNIX_TIME = 1772346600  # 2026-03-01T09:30:00+03:00
REQUEST_ID = "5f2c0d7e9a1b3c4d"

CITIZEN_IN = {"name": "أحمد علي حسن", "phone": "07701234567", "national_id": "199012345678",
              "language": "ar"}
DELIVERY_IN = {"mode": "home", "governorate": "IQ-BG", "district": "Karkh",
               "address_text": "mahalla 314, zuqaq 7, house 12", "landmark": "near Al-Zawraa Park",
               "location": {"lat": 33.312, "lon": 44.361}}
DOCUMENT_IN = {"external_ref": EXTERNAL_REF, "document_type": "passport", "citizen": CITIZEN_IN,
               "delivery": DELIVERY_IN}
EVENT_OUT = {"at": MOMENT, "action": "register", "state": "registered"}
DOCUMENT_OUT = {
    "tracking_number": TRACKING_NUMBER, "external_ref": EXTERNAL_REF, "document_type": "passport",
    "state": "registered", "branch": {"code": BRANCH, "name": "مكتب بريد المنصور"},
    "assignment_rule": "area",
    "citizen": {"name": "أ. ع. ح.", "phone": "+964 *** *** *567", "language": "ar"},
    "delivery": {"governorate": "IQ-BG", "mode": "home", "district": "Karkh",
                 "has_address_text": True, "has_location": True},
    "created_at": MOMENT, "updated_at": MOMENT,
}
FIELD_ERROR = {"field": "/citizen/phone", "message": "not an Iraqi mobile number"}
HAND_OVER_OUT = {"count": 212, "within_days": {"1": 40, "3": 151, "7": 204, "14": 212},
                 "median_hours": 52.5, "p90_hours": 140.25}
SUMMARY_GROUP_OUT = {
    "key": "passport", "items": 249,
    "by_state": {"delivered": 180, "collected": 32, "out_for_delivery": 9, "returning": 20,
                 "returned_to_agency": 8},
    "handed_over": HAND_OVER_OUT, "failed_attempts": 41,
    "failed_attempts_by_reason": {"absent": 30, "address_not_found": 8, "refused": 3},
    "returns": 28, "returns_by_reason": {"hold_expired": 15, "unreachable": 9,
                                         "recalled": 4},
    "old_documents": {"taken": 0, "declared_lost": 0},
}
REPORT_ITEM_OUT = {
    "external_ref": EXTERNAL_REF, "tracking_number": TRACKING_NUMBER, "document_type": "passport",
    "state": "delivered", "registered_at": MOMENT, "handed_over_at": LATER, "attempts": 2,
    "last_failure_reason": "absent", "return_reason": None, "branch": BRANCH,
    "branch_name": "مكتب بريد المنصور",
}

# Whole objects, by schema name.
BY_SCHEMA: dict[str, Any] = {
    "DocumentIn": DOCUMENT_IN,
    "CitizenIn": CITIZEN_IN,
    "DeliveryIn": DELIVERY_IN,
    "BatchIn": {"documents": [DOCUMENT_IN, {
        **DOCUMENT_IN, "external_ref": "MOI-PP-2026-000124", "document_type": "national_id",
        "citizen": {"name": "زينب كريم جاسم", "phone": "+9647801234568",
                    "national_id": "198805432109"},
        "delivery": {"governorate": "IQ-BG", "mode": "pickup", "branch_code": "BG-006"}}]},
    "DocumentOut": {**DOCUMENT_OUT, "events": [EVENT_OUT]},
    "DocumentsPage": {"items": [DOCUMENT_OUT], "next_cursor": CURSOR},
    "BatchOut": {"results": [
        {"index": 0, "external_ref": EXTERNAL_REF, "status": "accepted",
         "tracking_number": TRACKING_NUMBER},
        {"index": 1, "external_ref": "MOI-PP-2026-000124", "status": "rejected",
         "errors": [{**FIELD_ERROR, "field": "/documents/1/citizen/phone"}]}]},
    "BatchResultOut": {"index": 0, "external_ref": EXTERNAL_REF, "status": "accepted",
                       "tracking_number": TRACKING_NUMBER},
    "FieldError": FIELD_ERROR,
    "PlanRunOut": {"branch": BRANCH, "date": DAY, "status": "planned", "version": 3,
                   "planned_at": MOMENT, "travel_source": "osrm", "total_distance_m": 48210,
                   "total_duration_s": 20460, "items_routed": 57, "items_left_out": 2,
                   "couriers_told": 2},
    "ScanIn": {"scan_id": "HH-0042-000317", "code": TRACKING_NUMBER, "action": "deliver",
               "at": LATER, "otp": "482913", "id_last4": "5678",
               "location": {"lat": 33.3121, "lon": 44.3609}},
    "ScansIn": {"scans": [
        {"scan_id": "HH-0042-000316", "code": TRACKING_NUMBER, "action": "take", "at": MOMENT},
        {"scan_id": "HH-0042-000317", "code": TRACKING_NUMBER, "action": "deliver", "at": LATER,
         "otp": "482913", "id_last4": "5678", "location": {"lat": 33.3121, "lon": 44.3609}},
        {"scan_id": "HH-0042-000318", "code": "RR123456799IQ", "action": "fail", "at": LATER,
         "reason": "absent"}]},
    "ScanResult": {"scan_id": "HH-0042-000317", "status": "applied", "state": "delivered"},
    "ScansOut": {"results": [
        {"scan_id": "HH-0042-000316", "status": "duplicate", "state": "out_for_delivery"},
        {"scan_id": "HH-0042-000317", "status": "applied", "state": "delivered"},
        {"scan_id": "HH-0042-000318", "status": "rejected", "reason": "not_assigned",
         "error": "RR123456799IQ is not assigned to you"}]},
    "ProxyIn": {"name": "عمر علي حسن", "id_number": "200112346789"},
    "SignedByIn": {"name": "زينب كريم جاسم", "id_last4": "4321"},
    "SignedByOut": {"name": "ز. ك. ج.", "id_last4": "4321"},
    "ProxyOut": {"name": "ع. ع. ح.", "id_last4": "6789"},
    "PointOut": {"lat": 33.3121, "lon": 44.3609},
    "ProofOut": {"at": LATER, "staff": "stf_3f9a1c0d7e52b8a46c11", "otp_checked": True,
                 "id_checked": True, "location": {"lat": 33.3121, "lon": 44.3609},
                 "distance_m": 12},
    "ReturnedItemOut": {"tracking_number": TRACKING_NUMBER, "external_ref": EXTERNAL_REF,
                        "document_type": "passport", "return_reason": "refused",
                        "returned_at": LATER, "sorting_centre": CENTRE,
                        "signed_by": {"name": "ز. ك. ج.", "id_last4": "4321"}},
    "StateChangedEvent": {"id": 4211, "event": "item.state_changed",
                          "tracking_number": TRACKING_NUMBER, "external_ref": EXTERNAL_REF,
                          "state": "delivered", "previous_state": "out_for_delivery",
                          "at": LATER},
    "CitizenChoiceEvent": {"id": 4212, "event": "item.citizen_choice",
                           "tracking_number": TRACKING_NUMBER, "external_ref": EXTERNAL_REF,
                           "state": "received", "choice": "choose_pickup", "at": MOMENT,
                           "mode": "pickup", "branch": "BG-006", "rule": "pickup_choice"},
    "AnchorEvent": {"id": 4213, "event": "custody.anchor", "date": "2026-03-01",
                    "root": "9c1f6e0b52d3a8e4f7b21c90d4e6a3b8c5f0e1d2a7b49c86e3f5d0a1b2c3d4e5",
                    "count": 1843, "signature": "5b7e" * 32,
                    "public_key": "d75a980182b10ab7d54bfed3c964073a"
                                  "0ee172f3daa62325af021a68f707511a"},
    "Problem": {"type": "urn:tasheel:problem:invalid-input", "title": "The request breaks a rule",
                "status": 422, "detail": "The document has 1 invalid field(s).",
                "instance": "/v1/documents", "errors": [FIELD_ERROR], "request_id": REQUEST_ID},
    "LoginIn": {"username": "ali.hassan", "password": "correct horse battery",
                "device_id": DEVICE_ID},
    "SimulateIn": {"action": "fail", "reason": "absent"},
    "WebhookViewOut": {
        "url": "https://api.passports.gov.iq/tasheel/events",
        "events": ["item.state_changed", "item.citizen_choice", "custody.anchor"],
        "created": MOMENT, "updated": LATER, "secret_fingerprint": "9f2c4e1a7b3d",
        "signature_header": "Tasheel-Signature", "previous_secret_fingerprint": "41d08c5e2f6a",
        "previous_secret_valid_until": "2026-03-02T11:05:00+03:00"},
    "ReplayOut": {"replayed": 2, "event_ids": [4211, 4214]},
    "HandOverOut": HAND_OVER_OUT,
    "OldDocumentsOut": {"taken": 12, "declared_lost": 1},
    "SummaryGroupOut": SUMMARY_GROUP_OUT,
    "SummaryOut": {"from": "2026-03-01", "to": "2026-03-31", "timezone": "Asia/Baghdad",
                   "group_by": "document_type", "groups": [SUMMARY_GROUP_OUT]},
    "ReportItemOut": REPORT_ITEM_OUT,
    "ReportItemsPage": {"items": [REPORT_ITEM_OUT], "next_cursor": CURSOR},
}

# Values by field: `Schema.field` first, then `field`.
BY_FIELD: dict[str, Any] = {
    "StateChangedEvent.reason": "absent",
    "tracking_number": TRACKING_NUMBER, "tracking_numbers": [TRACKING_NUMBER],
    "external_ref": EXTERNAL_REF, "bag_id": BAG_ID, "bag": BAG_ID, "destination": BRANCH,
    "branch": BRANCH, "branch_code": BRANCH, "site": CENTRE, "governorate": "IQ-BG",
    "district": "Karkh", "mahalla": "314", "zuqaq": "7", "house": "12",
    "address_text": "mahalla 314, zuqaq 7, house 12", "landmark": "near Al-Zawraa Park",
    "lat": 33.312, "lon": 44.361, "username": "ali.hassan", "courier": "ali.hassan",
    "device_id": DEVICE_ID, "role": "courier", "agency": AGENCY, "url": (
        "https://api.passports.gov.iq/tasheel/events"),
    "api_key": "tsk_k3x9v2m8qa_Zx0bS9mQ2yVt7LrW4nKpHc8eJd1fGa6uTi3oBv5sNq0",
    "secret": WEBHOOK_SECRET, "signature_header": "Tasheel-Signature",
    "access_token": "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiI0MiJ9.c2lnbmF0dXJl",
    "expires_in": 28800, "token_type": "Bearer", "reason": "bag torn open",
    "note": "handled with the branch manager", "detail": "handed to courier, not confirmed",
    "kind": "unconfirmed_handover", "since": MOMENT, "at": MOMENT, "opened_at": MOMENT,
    "created_at": MOMENT, "updated_at": MOMENT, "planned_at": MOMENT, "changed_at": MOMENT,
    "planned_arrival": LATER, "window_start": "2026-03-01T08:00:00+03:00",
    "window_end": "2026-03-01T12:00:00+03:00", "shift_start": "2026-03-01T08:30:00+03:00",
    "shift_end": "2026-03-01T15:30:00+03:00", "planned_window": "11:00-12:00",
    "date": DAY, "language": "ar", "dir": "rtl", "document_type": "passport",
    "citizen": "أ. ع. ح.", "phone": "+964 *** *** *567", "vehicle": "motorcycle",
    "trigger": "schedule", "travel_source": "formula", "complaint": "طلب مني المندوب مبلغاً",
    "handled_by": None, "handled_at": None, "handled_note": None, "asked_for_money": True,
    "actions": ["deliver"], "channel": "webhook", "topic": "item.state_changed",
    "last_error": "HTTP 503", "sms_status": None, "error": None, "geo": "geo:33.3128,44.3615",
    "bring": ["بطاقتك الوطنية"], "at_label": "الأحد ١ آذار، ٩:٣٠ ص", "label": "في الفرع",
    "distance": "1.2 كم", "distance_km": 1.2, "HoursOut.days": "الأحد – الخميس", "open": "08:00",
    "close": "16:00", "status": "pending", "outcome": "done", "succeeded": True,
    "status_code": 200, "duration_ms": 184, "attempt": 1, "attempts": 1, "event_id": 4211,
    "id": 4211, "capacity_items": 40, "distance_m": 18400, "duration_s": 16200,
    "total_distance_m": 18400, "total_duration_s": 16200, "items_routed": 31,
    "items_left_out": 2, "seq": 1, "version": 2, "plan_version": 2, "locked": False,
    "current": True, "carried": False, "note_text": None,
    "Anchor.root": "9c1f6e0b52d3a8e4f7b21c90d4e6a3b8c5f0e1d2a7b49c86e3f5d0a1b2c3d4e5",
    "Anchor.signature": "5b7e" * 32, "Anchor.public_key": "d75a980182b10ab7d54bfed3c964073a"
                                                          "0ee172f3daa62325af021a68f707511a",
    "Anchor.count": 1843,
    "ReadyOut.status": "ready", "ReadyOut.postgres": "ok", "ReadyOut.redis": "ok", "ReadyOut.worker": "ok",
    "BranchRefOut.code": BRANCH, "BranchRefOut.name": "مكتب بريد المنصور",
    "CustodyEventOut.action": "register", "BranchOut.name": "مكتب بريد المنصور",
    "BranchOut.code": BRANCH, "PickupOptionOut.name": "مكتب بريد الكرادة",
    "PickupOptionOut.code": "BG-006", "Labelled.code": "at_branch", "EventOut.code": "at_branch",
    "EventOut.at": MOMENT, "EventOut.label": "وصلت إلى الفرع", "HolderOut.name": "أ. ع. ح.",
    "MaskedCitizenOut.name": "أ. ع. ح.", "StopItemOut.phone": "567",
    "StopItemOut.state": "out_for_delivery", "LeftOutOut.reason": "bag_full",
    "BagOut.status": "open", "BagOut.destination": BRANCH, "TokenOut.site": BRANCH,
    "DeadLetter.status": "dead", "DeadLetter.attempts": 8, "ItemStateOut.state": "lost",
    "ComplaintOut.item_state": "delivered", "ComplaintOut.branch": BRANCH,
    "ComplaintOut.id": 17, "StaffInvolvedOut.id": 42, "StaffInvolvedOut.role": "courier",
    "ComplaintOut.outcome": "investigated", "HandledIn.outcome": "investigated",
    "NewKeyOut.note": "shown only now; the old keys keep working until revoked",
    "AlertOut.detail": "to_courier not confirmed by the receiving side",
    "AlertOut.site": BRANCH, "ScheduleOut.label": "الأحد ١ آذار",
    "DayOut.label": "الأحد ١ آذار", "NoticeOut.detail": "two stops were added to your route",
    # The handheld's working day and bags.
    "BagLine.status": "dispatched", "BagLine.origin": CENTRE, "BagLine.count": 24,
    "BagLine.arrived_at": None, "BagLine.dispatched_at": LATER,
    "Manifest.status": "arrived", "Manifest.origin": CENTRE, "Manifest.count": 1,
    "Manifest.destination_name": "مكتب بريد المنصور", "Manifest.destination_name_en":
        "Mansour post office", "Manifest.dispatched_at": MOMENT, "Manifest.arrived_at": LATER,
    "Manifest.missing": [TRACKING_NUMBER], "ManifestItem.state": "at_branch",
    "SiteOut.code": BRANCH, "SiteOut.name": "مكتب بريد المنصور",
    "SiteOut.name_en": "Mansour post office", "SiteOut.kind": "branch",
    "ServedBranchOut.code": BRANCH, "ServedBranchOut.name": "مكتب بريد المنصور",
    "ServedBranchOut.name_en": "Mansour post office", "MeOut.role": "branch_clerk",
    "MeOut.username": "zainab.kareem",
    "TodayOut.actions": {"accept": 3, "shelve": 11, "to_courier": 26},
    "TodayOut.failures": {"absent": 2, "address_not_found": 1},
    "HeldOut.state": "out_for_delivery", "HeldOut.awaiting": None,
    "ShelfItemOut.state": "ready_for_pickup", "ShelfItemOut.days_waiting": 3,
    "ShelfItemOut.courier": None, "ShelfItemOut.awaiting": None, "ShelfPage.next_cursor": CURSOR,
    "PhoneOut.phone": "+9647701234567", "PhoneOut.revealed_at": MOMENT,
}

# Bodies of answers that are not JSON, by media type.
BY_MEDIA_TYPE: dict[str, str] = {
    "text/html": '<!doctype html><html lang="ar" dir="rtl"><head><meta charset="utf-8">'
                 "<title>تسهيل</title></head><body>…</body></html>",
    "image/svg+xml": '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 800 600">…</svg>',
    "text/plain": "# HELP tasheel_requests_total Total requests.\n"
                  '# TYPE tasheel_requests_total counter\ntasheel_requests_total{method="GET"} 12\n',
    "text/xml": '<?xml version="1.0" encoding="UTF-8"?><Response/>',
    "application/pdf": "%PDF-1.4 … %%EOF",
    "text/csv": "\ufeffexternal_ref,tracking_number,document_type,state,registered_at,"
                "handed_over_at,attempts,last_failure_reason,return_reason,branch,branch_name\r\n"
                f"{EXTERNAL_REF},{TRACKING_NUMBER},passport,delivered,{MOMENT},{LATER},2,absent,,"
                f"{BRANCH},مكتب بريد المنصور\r\n",
}
# Answers of operations whose schema is not a named one, by operation id.
BY_OPERATION: dict[str, Any] = {"health": {"status": "ok"}}
NOT_READY = {"status": "unavailable", "postgres": "ok", "redis": "down"}

# Form bodies the handlers read themselves.
FORMS: dict[str, dict[str, Any]] = {
    "TwilioStatusForm": {
        "type": "object", "description": "Twilio's delivery receipt for one message.",
        "properties": {"MessageSid": {"type": "string"}, "MessageStatus": {"type": "string"},
                       "ErrorCode": {"type": "string"}},
        "examples": [{"MessageSid": "SM5f0c3a9e2b7d41c8a6e9f1b2c3d4e5f6",
                      "MessageStatus": "delivered"}]},
    "TwilioInboundForm": {
        "type": "object", "description": "A citizen's SMS reply, as Twilio forwards it.",
        "properties": {"From": {"type": "string"}, "Body": {"type": "string"}},
        "examples": [{"From": "+9647701234567", "Body": "2"}]},
    "ModeForm": {
        "type": "object", "description": "Home delivery or pickup (at one of the branches "
                                         "offered), with the page's CSRF field.",
        "properties": {"mode": {"enum": ["home", "pickup"]}, "branch": {"type": "string"},
                       "csrf": {"type": "string"}},
        "required": ["mode", "csrf"],
        "examples": [{"mode": "pickup", "branch": "BG-006", "csrf": "c2lnbmVkLWZvcm0tdG9rZW4"}]},
    "LocationForm": {
        "type": "object", "description": "A point from the browser and/or address words.",
        "properties": {"lat": {"type": "string"}, "lon": {"type": "string"},
                       "district": {"type": "string"}, "mahalla": {"type": "string"},
                       "zuqaq": {"type": "string"}, "house": {"type": "string"},
                       "landmark": {"type": "string"}, "csrf": {"type": "string"}},
        "required": ["csrf"],
        "examples": [{"lat": "33.3121", "lon": "44.3609", "landmark": "near Al-Zawraa Park",
                      "csrf": "c2lnbmVkLWZvcm0tdG9rZW4"}]},
    "ScheduleForm": {
        "type": "object", "description": "One of the days offered, morning or afternoon.",
        "properties": {"day": {"type": "string", "format": "date"},
                       "window": {"enum": ["morning", "afternoon"]}, "csrf": {"type": "string"}},
        "required": ["day", "window", "csrf"],
        "examples": [{"day": DAY, "window": "morning", "csrf": "c2lnbmVkLWZvcm0tdG9rZW4"}]},
    "ReportForm": {
        "type": "object", "description": "Did anyone ask you for money? And anything to add.",
        "properties": {"asked": {"enum": ["yes", "no"]}, "complaint": {"type": "string"},
                       "csrf": {"type": "string"}},
        "required": ["asked", "csrf"],
        "examples": [{"asked": "no", "csrf": "c2lnbmVkLWZvcm0tdG9rZW4"}]},
}
_DETAILS = {
    400: "The body is not valid JSON: input data was truncated.",
    401: "a valid agency API key is required (Authorization: Bearer …)",
    403: "couriers may not do this",
    404: f"no item {TRACKING_NUMBER} for this agency",
    409: "a different document is already recorded under this external_ref",
    413: "A batch holds at most 10000 documents.",
    415: "The body must be sent as application/json.",
    429: "too many login attempts; try again later",
    500: "Something failed on our side; the request id identifies it.",
}


def problem(kind: Any) -> dict[str, Any]:
    """An example body of the problem `kind` (a `delivery.web.problems.ProblemKind`)."""
    if kind.status == 422:
        return BY_SCHEMA["Problem"]
    body = {"type": "urn:tasheel:problem:" + kind.slug, "title": kind.title,
            "status": kind.status, "detail": _DETAILS[kind.status], "instance": "/v1/documents",
            "request_id": REQUEST_ID}
    if kind.status == 409:
        body["errors"] = [{"field": "/citizen/phone", "message": "differs from the document "
                           "already recorded under this external_ref"}]
        body["tracking_number"] = TRACKING_NUMBER
    if kind.status == 413:
        body["errors"] = [{"field": "/documents", "message": "at most 10000 per batch"}]
    return body


def example_of(name: str, schema: dict[str, Any], schemas: dict[str, Any]) -> Any:
    """An example of the component `name`: a whole one if given, else built field by field."""
    if name in BY_SCHEMA:
        return BY_SCHEMA[name]
    return _value(schema, schemas, name)


def _value(schema: dict[str, Any], schemas: dict[str, Any], owner: str) -> Any:
    if "$ref" in schema:
        target_name = schema["$ref"].rsplit("/", 1)[-1]
        target = schemas[target_name]
        if target.get("type") == "object":
            if not target.get("examples"):
                target["examples"] = [example_of(target_name, target, schemas)]
            return target["examples"][0]
        return _value(target, schemas, target_name)
    if schema.get("examples"):
        return schema["examples"][0]
    for key in ("anyOf", "oneOf"):
        if key in schema:
            arms = [arm for arm in schema[key] if arm.get("type") != "null"]
            return _value(arms[0], schemas, owner) if arms else None
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type")
    if kind == "object":
        required = set(schema.get("required", ()))
        value = {}
        for field, sub in schema.get("properties", {}).items():
            if f"{owner}.{field}" in BY_FIELD:
                value[field] = BY_FIELD[f"{owner}.{field}"]
            elif field in BY_FIELD and not _structured(sub, schemas):
                value[field] = BY_FIELD[field]
            elif field in required:
                value[field] = _value(sub, schemas, owner)
        return value
    if kind == "array":
        return [_value(schema.get("items", {}), schemas, owner)] * max(1, schema.get("minItems", 1))
    if kind == "string":
        return {"date-time": MOMENT, "date": DAY}.get(schema.get("format", ""), "…")
    if kind in ("integer", "number"):
        return schema.get("minimum", 1)
    if kind == "boolean":
        return False
    return None


def _structured(schema: dict[str, Any], schemas: dict[str, Any]) -> bool:
    """Whether a property holds objects (its example then comes from their schema, not from a
    value that merely shares the property's name)."""
    arms = [arm for arm in schema.get("anyOf", [schema]) if arm.get("type") != "null"]
    for arm in arms:
        if arm.get("type") == "array":
            arm = arm.get("items", {})
        if "$ref" in arm:
            arm = schemas[arm["$ref"].rsplit("/", 1)[-1]]
        if arm.get("type") == "object":
            return True
    return False
