"""The OpenAPI document at /schema: what Litestar infers from the handlers, finished in one place.

Litestar derives paths, parameters and success bodies from the handlers. `finish` then adds,
once per application (when the document is first asked for), what it cannot know:

- component schemas as msgspec itself describes the Structs it decodes and encodes
  (docstrings, constraints, enums, examples) instead of Litestar's approximation of them;
- for every operation, the problem details it can really answer — what its security,
  parameters and body imply, plus `OPERATIONS` — in place of Litestar's default 400 shape;
- headers, operation ids, examples, and the webhooks agencies receive.
"""

from __future__ import annotations

import copy
import inspect
import re
from dataclasses import dataclass, fields
from enum import StrEnum
from typing import Any, NamedTuple

import msgspec
from litestar.openapi import OpenAPIConfig
from litestar.openapi.spec import OpenAPI

from delivery.platform.apidoc import BODY_TYPES, REF, VOCABULARIES, ref
from delivery.web import openapi_examples as examples

PROBLEM_JSON = "application/problem+json"
HTML = "text/html"
FORM = "application/x-www-form-urlencoded"
PDF = "application/pdf"
CSV = "text/csv"


@dataclass
class TasheelOpenAPIConfig(OpenAPIConfig):
    """Litestar's OpenAPI configuration, its document finished by `finish`."""

    def to_openapi_schema(self) -> OpenAPI:
        base = super().to_openapi_schema()
        return _FinishedOpenAPI(**{f.name: getattr(base, f.name) for f in fields(base)})


@dataclass
class _FinishedOpenAPI(OpenAPI):
    def to_schema(self) -> dict[str, Any]:
        return finish(super().to_schema())


class Op(NamedTuple):
    """What the handlers do not tell Litestar about an operation."""

    id: str  # operationId: the name of the function in a generated client
    errors: tuple[int, ...] = ()  # answered beyond what security, parameters and body imply
    pages: tuple[int, ...] = ()  # errors answered as an HTML page rather than problem details
    headers: tuple[str, ...] = ()  # request headers the handler reads itself (HEADERS)
    query: tuple[str, ...] = ()  # query parameters the handler reads itself (PARAMETERS)
    form: str | None = None  # the schema of a form body the handler reads itself
    media: str | None = None  # the success answer's media type, when Litestar cannot tell
    also: tuple[str, ...] = ()  # other media types it may come as (`?format=`, `Accept`)
    summary: str | None = None  # for handlers that are not ours
    description: str | None = None


_PAGE_FORM = (403, 404, 429)
_TRACKING = "/t/{token}"
_SUPERVISOR = "/v1/supervisor/items/{tracking_number}"
_LABEL_QUERY = ("size", "format")
OPERATIONS: dict[tuple[str, str], Op] = {
    ("get", "/health"): Op("health"),
    ("get", "/ready"): Op("ready"),
    ("get", "/metrics"): Op("metrics", media="text/plain", summary="Prometheus metrics",
                            description="Request counts and durations by route, in the "
                                        "Prometheus text format."),
    ("post", "/v1/documents"): Op("submitDocument", (409,), headers=("Idempotency-Key",)),
    ("post", "/v1/documents/batch"): Op("submitBatch", headers=("Idempotency-Key",)),
    ("get", "/v1/documents"): Op("listDocuments"),
    ("get", "/v1/documents/{tracking_number}"): Op("getDocument"),
    ("post", "/v1/documents/{tracking_number}/cancel"): Op("cancelDocument", (409,)),
    ("post", "/v1/documents/{tracking_number}/simulate"): Op("simulateDocument", (403, 409)),
    ("get", "/v1/returns"): Op("listReturns"),
    ("get", "/v1/returns/{day}/manifest"): Op("returnManifest", media=HTML),
    ("put", "/v1/webhook"): Op("setWebhook"),
    ("get", "/v1/webhook"): Op("getWebhook", (404,)),
    ("delete", "/v1/webhook"): Op("deleteWebhook", (404,)),
    ("post", "/v1/webhook/replay"): Op("replayWebhook", (409,)),
    ("get", "/v1/webhook/deliveries"): Op("listWebhookDeliveries"),
    ("get", "/v1/reports/summary"): Op("getReportSummary"),
    ("get", "/v1/reports/items"): Op("listReportItems"),
    ("get", "/v1/reports/items.csv"): Op("downloadReportItems", media=CSV),
    ("post", "/v1/auth/login"): Op("login", (401, 429)),
    ("post", "/v1/admin/agencies/{code}/keys"): Op("issueAgencyKey"),
    ("delete", "/v1/admin/agencies/{code}/keys/{prefix}"): Op("revokeAgencyKey"),
    ("post", "/v1/scans"): Op("uploadScans"),
    ("post", "/v1/bags"): Op("openBag"),
    ("get", "/v1/bags"): Op("listBags"),
    ("get", "/v1/bags/{bag_id}"): Op("getBagManifest"),
    ("post", "/v1/auth/renew"): Op("renewToken"),
    ("get", "/v1/me"): Op("getMe"),
    ("get", "/v1/me/today"): Op("getMyDay"),
    ("get", "/v1/branch/items"): Op("listBranchItems"),
    ("post", "/v1/items/{tracking_number}/phone"): Op("revealPhone"),
    ("post", f"{_SUPERVISOR}/lost"): Op("markLost", (409,)),
    ("post", f"{_SUPERVISOR}/damaged"): Op("markDamaged", (409,)),
    ("post", f"{_SUPERVISOR}/found"): Op("markFound", (409,)),
    ("post", f"{_SUPERVISOR}/code"): Op("reissueCode", (409,)),
    ("post", f"{_SUPERVISOR}/unlock"): Op("unlockCode", (409,)),
    ("post", "/v1/supervisor/staff/unlock"): Op("unlockStaff", (404, 409)),
    ("get", "/v1/supervisor/alerts"): Op("listAlerts"),
    ("post", "/hooks/twilio/status"): Op("twilioStatus", (403,), headers=("X-Twilio-Signature",),
                                         form="TwilioStatusForm"),
    ("post", "/hooks/twilio/inbound"): Op("twilioInbound", (403,),
                                          headers=("X-Twilio-Signature",),
                                          form="TwilioInboundForm", media="text/xml"),
    ("get", "/v1/ops/outbox/dead"): Op("listDeadLetters"),
    ("post", "/v1/ops/outbox/{outbox_id}/retry"): Op("retryDeadLetter", (409,)),
    ("get", _TRACKING): Op("trackingPage", pages=(404, 429), query=("lang",)),
    ("post", f"{_TRACKING}/mode"): Op("chooseMode", pages=_PAGE_FORM, form="ModeForm"),
    ("post", f"{_TRACKING}/location"): Op("shareLocation", pages=_PAGE_FORM,
                                          form="LocationForm"),
    ("post", f"{_TRACKING}/schedule"): Op("chooseDay", pages=_PAGE_FORM, form="ScheduleForm"),
    ("post", f"{_TRACKING}/report"): Op("answerMoneyQuestion", pages=_PAGE_FORM,
                                        form="ReportForm"),
    ("get", "/v1/track/{token}"): Op("getTracking", (429,), query=("lang",)),
    ("get", "/v1/ops/complaints"): Op("listComplaints"),
    ("post", "/v1/ops/complaints/{report_id}/handled"): Op("markComplaintHandled", (409,)),
    ("get", "/ops/complaints"): Op("complaintsPage"),
    ("get", "/v1/anchors"): Op("listAnchors"),
    ("get", "/v1/anchors/{day}"): Op("getAnchor"),
    ("get", "/v1/routes/mine"): Op("myRoute"),
    ("get", "/v1/ops/routes/{branch}/{day}"): Op("branchPlan"),
    ("post", "/v1/ops/routes/{branch}/{day}/plan"): Op("planBranchDay"),
    ("get", "/v1/labels/items/{tracking_number}"): Op("itemLabel", media=HTML, also=(PDF,),
                                                      query=_LABEL_QUERY),
    ("get", "/v1/labels/bags/{bag_id}"): Op("bagLabel", media=HTML, also=(PDF,),
                                            query=_LABEL_QUERY),
}
METHODS = ("get", "put", "post", "delete", "patch")

API_DESCRIPTION = """\
Document delivery and postal tracking. Government agencies hand documents over and follow them;
postal staff scan every hand-over on handhelds; citizens follow their document through the link
in an SMS. JSON everywhere, UTF-8, times in RFC 3339 with an offset; every answer carries an
`X-Request-Id` header (yours, when you send a sane one).

## Authentication

- Agencies: `Authorization: Bearer <agency API key>` (scheme `agencyKey`).
- Staff: `Authorization: Bearer <token>` from `POST /v1/auth/login` and `X-Device-Id` set to
  the `device_id` given there (scheme `staffToken`); a role a route is not for gets a 403.
- Citizens: no login; the random token of their SMS link is the key to their page.

## Errors

Every error is RFC 9457 problem details, `application/problem+json` (`Problem`), except on the
citizen's HTML pages, which answer with a page in their language. `type` names the kind of
problem, one `title` per type:

| status | `type` (after `urn:tasheel:problem:`) | when |
| --- | --- | --- |
| 400 | `malformed-request` | the body is not JSON, or there is none: nothing in it could be read |
| 401 | `unauthenticated` | no credentials, or unknown, revoked or expired ones |
| 403 | `forbidden` | the caller is known but may not do this |
| 404 | `not-found` | nothing the caller may see has that name (another agency's item included) |
| 409 | `conflict`, `state-conflict` | it contradicts what is recorded; `state-conflict` has `reason` |
| 413 | `payload-too-large` | the body is too large, or holds more items than one call may |
| 415 | `unsupported-media-type` | a JSON body sent as another media type |
| 422 | `invalid-input` | the request was read but a value breaks a rule |
| 429 | `rate-limited` | too many attempts: wait `Retry-After` seconds |
| 500 | `internal-error` | our fault; quote `request_id` |

The same mistake gets the same status on every route: a body that cannot be parsed as JSON (not
UTF-8, nested more than 32 deep) is a 400; a JSON body sent as another media type is a 415; a
key sent twice, an integer beyond 64 bits, a control character in any text, a query time before
1900 or from 2200 on are each a 422 naming the field; a readable request with a wrong value —
a field of the wrong type, missing or unknown, out of range, an unknown query parameter or
value, a bad header — is a 422; more items than one call may carry (10,000 documents, 500
scans) is a 413.

`errors` lists `{field, message}` for each culprit. `field` is a JSON pointer into the body
(RFC 6901: `/citizen/phone`, `/documents/3/citizen/phone`, `/scans/1/at`; the empty pointer `""`
is the whole body), or `query:<name>`, `header:<name>` or `path:<name>` for a parameter. In a
batch each rejected document carries its own `errors`, with pointers from the batch's root.

## Pagination and retries

Lists are keyset-paginated: pass `next_cursor` back as `cursor` until it is null. Handing over
the same document (same `external_ref`, same content) again answers 200 with the item already
recorded, so retrying is safe; `Idempotency-Key` on `POST /v1/documents` also replays the first
answer byte for byte.

## Webhooks

State changes and citizens' choices are pushed to the agency's URL (`PUT /v1/webhook`), signed:
`Tasheel-Signature: t=<unix seconds>,v1=<hex>` where `v1` is HMAC-SHA256 under the webhook's
secret of `<t>.` followed by the exact body. Check it in constant time and refuse a `t` more
than 300 seconds from your clock. The `webhooks` section describes each event.
"""

# Parameters by name: what they mean, and a value that works.
PARAMETERS: dict[str, tuple[str, Any]] = {
    "tracking_number": ("An item's tracking number (UPU S10).", examples.TRACKING_NUMBER),
    "token": ("The tracking token of the citizen's SMS link: the key to their page.",
              examples.TOKEN),
    "code": ("An agency's code.", examples.AGENCY),
    "username": ("A member of staff's username.", "ali.hassan"),
    "from": ("The first day, Asia/Baghdad (included).", "2026-02-01"),
    "to": ("The last day, Asia/Baghdad (included).", examples.DAY),
    "prefix": ("The prefix that tells one of the agency's API keys from the others.",
               examples.KEY_PREFIX),
    "outbox_id": ("An outbox row: one SMS or one webhook event.", 4211),
    "report_id": ("A citizen's answer in the complaints queue.", 17),
    "branch": ("A branch code.", examples.BRANCH),
    "day": ("A day, in Asia/Baghdad.", examples.DAY),
    "date": ("The day, in Asia/Baghdad; today when absent.", examples.DAY),
    "version": ("A version of the plan; the one in force when absent.", 2),
    "before": ("Only rows older than this id: the last `id` of the previous page.", 1200),
    "limit": ("At most this many rows.", 100),
    "page": ("A page of the list, 1-based (`next_page` of the previous one).", 2),
    "revoke_old": ("Stop the agency's other keys at once.", False),
    "status": ("`open`, `handled` or `all`.", "open"),
    "state": ("Only items in one of these states, comma-separated.",
              ["registered", "received"]),
    "document_type": ("Only items of this document type.", "passport"),
    "external_ref": ("Only the item with this reference of the agency's.", examples.EXTERNAL_REF),
    "updated_since": ("Only items changed at or after this moment (RFC 3339, with offset).",
                      examples.MOMENT),
    "group_by": ("Split the counts by `document_type`, `governorate`, `branch` or `day` (of "
                 "registration, Asia/Baghdad); one group when absent.", "document_type"),
    "cursor": ("`next_cursor` of the previous page; absent for the first page.",
               examples.CURSOR),
    "lang": ("The language of the page: `ar` (default), `ckb` or `en`; remembered in a cookie.",
             "ar"),
    "bag_id": ("A bag's id (`BAG`, nine digits and a check digit).", examples.BAG_ID),
    "size": ("The label stock in millimetres: `100x50` (4 × 2 in, the default) or `100x150` "
             "(4 × 6 in).", "100x150"),
    "format": ("`html` (a printable page, the default) or `pdf`; without it, "
               "`Accept: application/pdf` asks for the PDF.", "pdf"),
}
# Where a parameter of one path means something else than its name elsewhere.
_PATH_PARAMETERS: dict[tuple[str, str], tuple[str, Any]] = {
    ("/v1/bags", "status"): ("`open`, `dispatched` or `arrived`; by default `open` for a "
                             "sorting centre, `dispatched` (on the way) for a branch.",
                             "dispatched"),
    ("/v1/bags/{bag_id}", "bag_id"): ("A bag's id.", examples.BAG_ID),
    ("/v1/webhook/replay", "from"): ("Events that happened at or after this moment (RFC 3339).",
                                     examples.MOMENT),
    ("/v1/webhook/replay", "to"): ("Events that happened before this moment (RFC 3339).",
                                   examples.MOMENT),
    ("/v1/branch/items", "state"): ("One state: `at_branch`, `ready_for_pickup` (default), "
                                    "`returning`, `delivery_failed` or `out_for_delivery`.",
                                    "ready_for_pickup"),
}
_PARAMETER_SCHEMAS = {  # where the handler parses the text itself
    ("/v1/documents", "state"): {"type": "array", "items": ref("State")},
    ("/v1/documents", "document_type"): ref("DocumentTypeCode"),
    ("/v1/reports/items", "state"): {"type": "array", "items": ref("State")},
    ("/v1/reports/items.csv", "state"): {"type": "array", "items": ref("State")},
    ("/v1/bags", "status"): ref("BagStatus"),
}
QUERY_SCHEMAS = {  # read by the handlers themselves
    "lang": {"enum": ["ar", "ckb", "en"]},
    "size": {"enum": ["100x50", "100x150"], "default": "100x50"},
    "format": {"enum": ["html", "pdf"], "default": "html"},
}
HEADERS: dict[str, dict[str, Any]] = {
    "X-Device-Id": {
        "required": True, "schema": {"type": "string", "pattern": "^[A-Za-z0-9._:-]{1,64}$"},
        "description": "The handheld's `device_id` given at login: a staff token works only from "
                       "its own device.",
        "example": examples.DEVICE_ID},
    "Idempotency-Key": {
        "required": False, "schema": {"type": "string", "minLength": 1, "maxLength": 255},
        "description": "Any printable text. The same key with the same body replays the first "
                       "answer (with `Idempotency-Replayed: true`); with another body it is a 422. "
                       "Failures are not remembered: fix the body and retry with the same key.",
        "example": "moi-pp-2026-000123-try-1"},
    "X-Twilio-Signature": {
        "required": True, "schema": {"type": "string"},
        "description": "Twilio's signature of the public URL and the form (Twilio's own scheme).",
        "example": "0/KCTR6DLpKmkAf8muzZqo1nDgQ="},
}
RESPONSE_HEADERS: dict[str, dict[str, Any]] = {
    "Retry-After": {"description": "Seconds to wait before trying again.",
                    "schema": {"type": "integer", "minimum": 1}, "example": 30},
    "Idempotency-Replayed": {
        "description": "`true` when this is the stored answer to an earlier request with the "
                       "same `Idempotency-Key`.",
        "schema": {"type": "string", "enum": ["true"]}, "example": "true"},
    "Idempotent-Replayed": {
        "description": "The same as `Idempotency-Replayed`, under its earlier name; deprecated.",
        "deprecated": True, "schema": {"type": "string", "enum": ["true"]}, "example": "true"},
    "Location": {"description": "Where to go next: the page again, with a message code.",
                 "schema": {"type": "string"}, "example": f"/t/{examples.TOKEN}?m=saved"},
}
_PROBLEM_WORDS = {
    400: ("MalformedRequest", "The body is not JSON, or there is none: nothing in it could be read."),
    401: ("Unauthenticated", "No credentials, or ones that are unknown, revoked or expired (a staff "
                             "token also needs its own `X-Device-Id`)."),
    403: ("Forbidden", "The caller is known but may not do this: a staff role not allowed here, a "
                       "branch the site does not serve, a Twilio signature that does not hold."),
    404: ("NotFound", "Nothing the caller may see goes by that name; another agency's item answers "
                      "exactly like one that does not exist."),
    409: ("Conflict", "The request contradicts what is recorded: `…:conflict`, or "
                      "`…:state-conflict` with `reason` when the item's state does not allow it."),
    413: ("PayloadTooLarge", "The body is larger than the service takes, or carries more items "
                             "than one call may (10,000 documents, 500 scans)."),
    415: ("UnsupportedMediaType", "A JSON body sent as another media type: send "
                                  "`Content-Type: application/json`."),
    422: ("InvalidInput", "The request was read but breaks a rule: `errors` names each field "
                          "(a JSON pointer) or parameter (`query:…`, `header:…`) at fault."),
    429: ("RateLimited", "Too many requests: try again after `Retry-After` seconds."),
    500: ("InternalError", "Something failed on our side; `request_id` identifies it."),
}
_PAGE_WORDS = {
    403: ("PageForbidden", "The form expired or came from another site: open the page again."),
    404: ("PageNotFound", "No such tracking link (answered in the time a real page takes)."),
    429: ("PageRateLimited", "Too many requests from this address: try again after "
                             "`Retry-After` seconds."),
}
TAGS = [
    {"name": "agencies", "description": "Agencies hand documents over and follow them: "
                                        "`Authorization: Bearer <agency API key>`."},
    {"name": "staff", "description": "Postal staff on handhelds: `Authorization: Bearer <staff "
                                     "token>` from `POST /v1/auth/login`, and `X-Device-Id`."},
    {"name": "routes", "description": "Couriers' stops and branches' route plans."},
    {"name": "operations", "description": "Health, metrics and the supervisors' queues."},
    {"name": "citizens", "description": "The citizen's tracking page: no login, the token from "
                                        "the SMS link is the key."},
    {"name": "twilio", "description": "Callbacks from Twilio, signed with `X-Twilio-Signature`."},
    {"name": "webhooks", "description": "Events Tasheel sends to an agency's webhook URL."},
]


def finish(doc: dict[str, Any]) -> dict[str, Any]:
    """The document Litestar generated, completed as the module's docstring says."""
    components = doc.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    schemas.update(_msgspec_schemas(set(schemas)))
    schemas.update(copy.deepcopy(examples.FORMS))
    _tidy(schemas)
    for name, schema in schemas.items():
        if schema.get("type") == "object" and not schema.get("examples"):
            schema["examples"] = [examples.example_of(name, schema, schemas)]
    components["headers"] = copy.deepcopy(RESPONSE_HEADERS)
    components["responses"] = _problem_responses(schemas)
    for path, item in doc.get("paths", {}).items():
        for method in METHODS:
            if method in item:
                _finish_operation(method, path, item[method], schemas)
    doc["webhooks"] = _webhooks(schemas)
    doc["tags"] = TAGS
    return doc


def _msgspec_schemas(names: set[str]) -> dict[str, Any]:
    """The named Structs (and what they refer to) as msgspec describes them."""
    from delivery.web.problems import Problem
    from delivery.web.webhook_events import AnchorEvent, CitizenChoiceEvent, StateChangedEvent

    found: dict[str, type] = {}
    for cls in _structs():
        if cls.__name__ in names and found.setdefault(cls.__name__, cls) is not cls:
            raise RuntimeError(f"two Structs are named {cls.__name__}: rename one")
    for extra in (*BODY_TYPES, Problem, StateChangedEvent, CitizenChoiceEvent, AnchorEvent):
        found[extra.__name__] = extra
    # Annotations are strings until first resolved, and resolving them is what registers the
    # vocabularies they are `documented_as`: resolve them before reading VOCABULARIES.
    msgspec.inspect.multi_type_info(list(found.values()))
    found.update((vocabulary.__name__, vocabulary) for vocabulary in VOCABULARIES.values())
    schemas = msgspec.json.schema_components(list(found.values()), ref_template=REF)[1]
    for vocabulary in _enums():  # msgspec sorts their values: keep the order they are defined in
        if vocabulary.__name__ in schemas:
            schemas[vocabulary.__name__]["enum"] = [member.value for member in vocabulary]
    return schemas


def _enums() -> list[type[StrEnum]]:
    return [cls for cls in StrEnum.__subclasses__() if cls.__module__.startswith("delivery.")]


def _structs() -> list[type]:
    seen: list[type] = []
    pending = [msgspec.Struct]
    while pending:
        for sub in pending.pop().__subclasses__():
            if sub not in seen:
                seen.append(sub)
                pending.append(sub)
    return [cls for cls in seen if cls.__module__.startswith("delivery.")]


_REF_COMPANIONS = {"$ref", "description", "examples", "default", "title"}


def _tidy(node: Any) -> None:
    """A `$ref` stands alone (but for words and examples): the text constraints a documented-only
    vocabulary sits on say nothing its enum does not say better. Docstrings lose their indent."""
    if isinstance(node, dict):
        if "$ref" in node:
            for key in set(node) - _REF_COMPANIONS:
                del node[key]
        if isinstance(node.get("description"), str):
            node["description"] = inspect.cleandoc(node["description"])
        for value in node.values():
            _tidy(value)
    elif isinstance(node, list):
        for value in node:
            _tidy(value)


def _finish_operation(method: str, path: str, op: dict[str, Any],
                      schemas: dict[str, Any]) -> None:
    entry = OPERATIONS.get((method, path)) or Op(op.get("operationId", ""))
    op["operationId"] = entry.id
    op.setdefault("tags", ["operations"])
    for key in ("summary", "description"):
        if words := getattr(entry, key):
            op[key] = words
    statuses = _error_statuses(op, entry)
    parameters = op.get("parameters", [])
    for parameter in parameters:
        _describe(parameter, path)
    parameters += [{"name": name, "in": "header", **HEADERS[name]} for name in entry.headers]
    if {"staffToken"} & {name for requirement in op.get("security", []) for name in requirement}:
        parameters.append({"name": "X-Device-Id", "in": "header", **HEADERS["X-Device-Id"]})
    for name in entry.query:
        parameters.append(_describe({"name": name, "in": "query", "required": False,
                                     "schema": QUERY_SCHEMAS[name]}, path))
    if parameters:
        op["parameters"] = parameters
    if entry.form:
        op["requestBody"] = {"required": True, "content": {FORM: {
            "schema": ref(entry.form), "example": schemas[entry.form]["examples"][0]}}}
    for media in op.get("requestBody", {}).get("content", {}).values():
        _add_example(media, schemas)
    responses: dict[str, Any] = {}
    for status, response in op["responses"].items():
        if int(status) >= 400:
            continue  # Litestar's own guesses: replaced below
        responses[status] = _finish_success(status, response, entry, schemas)
    _special_successes(entry.id, responses)
    for status in sorted(statuses):
        page = status in entry.pages
        name = (_PAGE_WORDS if page else _PROBLEM_WORDS)[status][0]
        responses[str(status)] = {"$ref": f"#/components/responses/{name}"}
    op["responses"] = responses


def _error_statuses(op: dict[str, Any], entry: Op) -> set[int]:
    """What the operation can answer besides success: what its security, parameters and body
    imply (before the headers it reads itself are added), and what `OPERATIONS` says."""
    found = {500, *entry.errors, *entry.pages}
    schemes = {name for requirement in op.get("security", []) for name in requirement}
    if schemes:
        found.add(401)
    if "staffToken" in schemes:
        found.add(403)
    body = op.get("requestBody", {}).get("content", {})
    if body or entry.form:
        found |= {400, 413, 422}  # not UTF-8; control characters (platform.inputs)
    if "application/json" in body:
        found.add(415)
    kinds = {parameter["in"] for parameter in op.get("parameters", [])}
    if kinds & {"query", "path"}:
        found.add(422)
    if "path" in kinds:
        found.add(404)
    return found


def _describe(parameter: dict[str, Any], path: str) -> dict[str, Any]:
    description, example = _PATH_PARAMETERS.get((path, parameter["name"])) or PARAMETERS.get(
        parameter["name"], (None, None))
    if description:
        parameter["description"] = description
        parameter["example"] = example
    if schema := _PARAMETER_SCHEMAS.get((path, parameter["name"])):
        parameter["schema"] = schema
        if schema.get("type") == "array":
            parameter.update(style="form", explode=False)
    for key in ("deprecated", "allowEmptyValue", "allowReserved"):
        if parameter.get(key) is False:
            del parameter[key]  # false is the default: say nothing
    return parameter


def _finish_success(status: str, response: dict[str, Any], entry: Op,
                    schemas: dict[str, Any]) -> dict[str, Any]:
    if not response.get("headers"):
        response.pop("headers", None)
    content = response.get("content") or {}
    if status in ("204", "303"):
        content = {}
    elif entry.media:
        content = {kind: {"schema": {"type": "string"}} for kind in (entry.media, *entry.also)}
    response["content"] = {kind.split(";")[0].strip(): media for kind, media in content.items()}
    if not response["content"]:
        del response["content"]
    for kind, media in response.get("content", {}).items():
        _add_example(media, schemas, kind, entry.id)
    if status == "303":
        response["headers"] = {"Location": {"$ref": "#/components/headers/Location"}}
    return response


def _add_example(media: dict[str, Any], schemas: dict[str, Any], kind: str = "",
                 operation: str = "") -> None:
    if "example" in media:
        return
    schema = media.get("schema") or {}
    if operation in examples.BY_OPERATION:
        media["example"] = examples.BY_OPERATION[operation]
    elif "$ref" in schema:
        media["example"] = _component_example(schema, schemas)
    elif schema.get("type") == "array" and "$ref" in schema.get("items", {}):
        media["example"] = [_component_example(schema["items"], schemas)]
    elif kind in examples.BY_MEDIA_TYPE:
        media["example"] = examples.BY_MEDIA_TYPE[kind]


def _component_example(schema: dict[str, Any], schemas: dict[str, Any]) -> Any:
    return schemas[schema["$ref"].rsplit("/", 1)[-1]]["examples"][0]


def _special_successes(operation: str, responses: dict[str, Any]) -> None:
    if operation == "submitDocument":
        replayed = {name: {"$ref": f"#/components/headers/{name}"}
                    for name in ("Idempotency-Replayed", "Idempotent-Replayed")}
        created = responses["201"]
        created.update(description="The new item.", headers=replayed)
        responses["200"] = {**created, "description": (
            "This document was already recorded under its `external_ref`, with the same "
            "content: the item as it is now (nothing was created).")}
    elif operation == "ready":
        responses["200"]["description"] = "PostgreSQL and Redis both answer."
        responses["503"] = {**responses["200"], "description": "PostgreSQL or Redis does not "
                            "answer: the body says which.",
                            "content": {"application/json": {
                                "schema": responses["200"]["content"]["application/json"][
                                    "schema"], "example": examples.NOT_READY}}}


def _problem_responses(schemas: dict[str, Any]) -> dict[str, Any]:
    from delivery.web.problems import HTTP_PROBLEMS

    responses: dict[str, Any] = {}
    for status, (name, words) in _PROBLEM_WORDS.items():
        responses[name] = {"description": words, "content": {PROBLEM_JSON: {
            "schema": ref("Problem"), "example": examples.problem(HTTP_PROBLEMS[status])}}}
    for name, words in _PAGE_WORDS.values():
        responses[name] = {"description": words, "content": {HTML: {
            "schema": {"type": "string"}, "example": examples.BY_MEDIA_TYPE[HTML]}}}
    for name in ("RateLimited", "PageRateLimited"):
        responses[name]["headers"] = {"Retry-After": {"$ref": "#/components/headers/Retry-After"}}
    return responses


def _webhooks(schemas: dict[str, Any]) -> dict[str, Any]:
    from delivery.agencies.webhooks import SIGNATURE_HEADER
    from delivery.outbox.rows import STATE_CHANGED
    from delivery.web.webhook_events import ANCHOR, CITIZEN_CHOICE
    from notifications.signing import sign_webhook

    sample = schemas["StateChangedEvent"]["examples"][0]
    body = msgspec.json.encode(sample).decode()
    signature = sign_webhook(examples.WEBHOOK_SECRET, body.encode(), examples.UNIX_TIME)
    verification = WEBHOOK_SIGNATURE.format(secret=examples.WEBHOOK_SECRET, body=body,
                                            signature=signature, header=SIGNATURE_HEADER)
    parameters = [
        {"name": SIGNATURE_HEADER, "in": "header", "required": True,
         "description": "`t=<unix seconds>,v1=<hex HMAC-SHA256 of \"<t>.<body>\">` under the "
                        "webhook's secret.",
         "schema": {"type": "string", "pattern": r"^t=\d+(,v1=[0-9a-f]{64})+$"},
         "example": signature},
        {"name": "Tasheel-Event-Id", "in": "header", "required": True,
         "description": "The event's id, as in the body: the same on every retry.",
         "schema": {"type": "string", "pattern": r"^\d+$"}, "example": str(sample["id"])},
    ]
    hooks = {}
    for event, schema, summary in (
            (STATE_CHANGED, "StateChangedEvent", "An item entered a new state"),
            (CITIZEN_CHOICE, "CitizenChoiceEvent", "The citizen chose on their tracking page"),
            (ANCHOR, "AnchorEvent", "The signed custody anchor of a day that has ended")):
        hooks[event] = {"post": {
            "tags": ["webhooks"], "summary": summary,
            "operationId": re.sub(r"[._](\w)", lambda m: m[1].upper(), event),
            "description": schemas[schema]["description"] + "\n\n" + verification,
            "parameters": parameters,
            "requestBody": {"required": True, "content": {"application/json": {
                "schema": ref(schema), "example": schemas[schema]["examples"][0]}}},
            "responses": {"2XX": {"description": (
                "Received. Any other answer, or none within 10 seconds, is retried with growing "
                "pauses for 24 hours; `GET /v1/webhook/deliveries` shows every attempt.")}},
        }}
    return hooks


WEBHOOK_SIGNATURE = """\
**Verifying a delivery.** Every delivery is signed with the secret returned by \
`PUT /v1/webhook` (shown only then; setting the webhook again makes a new one):

1. Split `{header}` at commas: `t=` is a Unix time in seconds, each `v1=` a signature (more than \
one may come while a secret is replaced).
2. Compute HMAC-SHA256 with the secret (its UTF-8 bytes, `whsec_` included) over the text \
`<t>.` followed by the body's exact bytes, as lowercase hex.
3. Accept when it equals one `v1` (compare in constant time) and `t` is within 300 seconds of \
your clock; refuse anything else (a replayed old delivery fails the time check).

For instance, with the secret `{secret}` and the body `{body}` the header is `{signature}` \
(a timestamp long past: step 3 refuses it today)."""
