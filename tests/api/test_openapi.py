"""The OpenAPI document at /schema is the truth an integrator generates a client from.

Checked three ways: the document is valid OpenAPI 3.1 and complete (descriptions, examples that
validate, enums, headers, security, webhooks); and every answer the running service really
gives — to requests without credentials, with bad ones, with unreadable or invalid bodies, with
unknown ids and bad query values, and to good requests — is one the document announces, body
included.
"""

from __future__ import annotations

import re
from typing import Any

import msgspec
import pytest
from openapi_spec_validator import validate

from delivery.custody.doctypes import DEFAULT_DOCUMENT_TYPES
from delivery.custody.judge import HANDHELD_ACTIONS
from delivery.custody.model import State
from delivery.custody.scans import FAIL_REASONS
from delivery.intake.schemas import LANGUAGES
from tests.api.openapi_support import (
    PROBLEM_JSON,
    Schemas,
    check_answer,
    load_document,
    operations,
    resolve,
)
from tests.api.tracking_support import new_item
from tests.custody_world import scan_body
from tests.helpers import auth, create_agency, document, staff_token

pytestmark = pytest.mark.usefixtures("demo_sites")

ANONYMOUS = {  # operations anyone may call: no security scheme expected
    ("get", "/health"), ("get", "/ready"), ("get", "/metrics"), ("post", "/v1/auth/login"),
    ("get", "/v1/track/{token}"), ("get", "/t/{token}"), ("post", "/t/{token}/mode"),
    ("post", "/t/{token}/location"), ("post", "/t/{token}/schedule"),
    ("post", "/t/{token}/report"), ("post", "/hooks/twilio/status"),
    ("post", "/hooks/twilio/inbound"), ("get", "/v1/anchors"), ("get", "/v1/anchors/{day}"),
}


@pytest.fixture
async def doc(client) -> dict[str, Any]:
    return await load_document(client)


def _schema(doc, name: str) -> dict[str, Any]:
    return doc["components"]["schemas"][name]


def _property(doc, schema_name: str, prop: str) -> dict[str, Any]:
    """A property's schema with references followed and `null` alternatives dropped."""
    node = resolve(doc, _schema(doc, schema_name)["properties"][prop])
    for key in ("anyOf", "oneOf"):
        if key in node:
            arms = [resolve(doc, a) for a in node[key] if a.get("type") != "null"]
            assert len(arms) == 1, node
            node = arms[0]
    return node


def _examples(doc) -> list[tuple[str, Any, dict[str, Any]]]:
    """(where, example, schema) of every example the document gives."""
    found = []
    for name, schema in doc["components"]["schemas"].items():
        found += [(f"schema {name}", e, schema) for e in schema.get("examples", [])]
    for name, response in doc["components"].get("responses", {}).items():
        for kind, media in response.get("content", {}).items():
            if "example" in media:
                found.append((f"response {name} {kind}", media["example"], media["schema"]))
    for method, path, op in operations(doc):
        where = f"{method.upper()} {path}"
        for param in op.get("parameters", []):
            if "example" in param:
                found.append((f"{where} parameter {param['name']}", param["example"],
                              param["schema"]))
        body = op.get("requestBody", {}).get("content", {})
        for kind, media in body.items():
            if "example" in media and "schema" in media:
                found.append((f"{where} body {kind}", media["example"], media["schema"]))
        for status, response in op["responses"].items():
            for kind, media in resolve(doc, response).get("content", {}).items():
                if "example" in media and "schema" in media:
                    found.append((f"{where} {status} {kind}", media["example"], media["schema"]))
    for name, item in doc.get("webhooks", {}).items():
        for media in item["post"]["requestBody"]["content"].values():
            if "example" in media:
                found.append((f"webhook {name}", media["example"], media["schema"]))
    return found


def _nodes(node: Any):
    """Every `properties` object in the document."""
    if isinstance(node, dict):
        if isinstance(node.get("properties"), dict):
            yield node["properties"]
        for value in node.values():
            yield from _nodes(value)
    elif isinstance(node, list):
        for value in node:
            yield from _nodes(value)


def test_the_document_is_valid_openapi_3_1(doc):
    assert doc["openapi"].startswith("3.1")
    validate(doc)


def test_errors_are_problem_details_never_litestars_default_shape(doc):
    problem = _schema(doc, "Problem")
    assert {"type", "title", "status", "detail", "instance", "errors",
            "request_id"} <= problem["properties"].keys()
    field_error = resolve(doc, problem["properties"]["errors"]["items"])
    assert set(field_error["required"]) == {"field", "message"}
    for method, path, op in operations(doc):
        for status, response in op["responses"].items():
            if int(status) < 400 or (path, status) == ("/ready", "503"):  # a report, not an error
                continue
            content = resolve(doc, response).get("content", {})
            assert content, f"{method.upper()} {path} {status} documents no body"
            assert set(content) <= {PROBLEM_JSON, "text/html"}, (method, path, status)
            if PROBLEM_JSON in content:
                assert content[PROBLEM_JSON]["schema"] == {"$ref": "#/components/schemas/Problem"}
    shapes = [node for node in _nodes(doc) if {"status_code", "extra"} <= node.keys()]
    assert not shapes, shapes  # Litestar's default error body


def test_every_operation_says_what_it_does_and_shows_an_example(doc):
    for method, path, op in operations(doc):
        where = f"{method.upper()} {path}"
        assert op.get("summary") and len(op.get("description", "")) > 20, where
        examples = [p for p in op.get("parameters", []) if "example" in p]
        examples += [m for m in op.get("requestBody", {}).get("content", {}).values()
                     if "example" in m]
        for status, response in op["responses"].items():
            if status.startswith("2"):
                examples += [m for m in resolve(doc, response).get("content", {}).values()
                             if "example" in m]
        assert examples or op["responses"].keys() & {"204", "303"}, f"{where} has no example"
        for param in op.get("parameters", []):
            assert param.get("description") and "example" in param, (where, param["name"])


def test_every_schema_is_described_with_an_example(doc):
    for name, schema in doc["components"]["schemas"].items():
        assert schema.get("description"), f"schema {name} has no description"
        if schema.get("type") == "object":
            assert schema.get("examples"), f"schema {name} has no example"


def test_every_example_validates_against_its_own_schema(doc):
    schemas = Schemas(doc)
    examples = _examples(doc)
    assert len(examples) > 60
    failures = {where: errors for where, value, schema in examples
                if (errors := schemas.errors(value, schema))}
    assert not failures


def test_examples_look_like_iraqi_reality(doc):
    submitted = doc["paths"]["/v1/documents"]["post"]["requestBody"]["content"][
        "application/json"]["example"]
    assert submitted["citizen"]["phone"] == "07701234567"
    assert re.search("[\u0600-\u06ff]", submitted["citizen"]["name"])
    answered = doc["paths"]["/v1/documents"]["post"]["responses"]["201"]["content"][
        "application/json"]["example"]
    assert re.fullmatch(r"[A-Z]{2}\d{9}IQ", answered["tracking_number"])
    from delivery.custody.s10 import is_valid

    assert is_valid(answered["tracking_number"])


def test_headers_and_security_are_documented(doc):
    for method, path, op in operations(doc):
        where = f"{method.upper()} {path}"
        security = [name for requirement in op.get("security", []) for name in requirement]
        headers = {p["name"].lower(): p for p in op.get("parameters", []) if p["in"] == "header"}
        if (method, path) in ANONYMOUS:
            assert not security, where
        elif path.startswith(("/v1/documents", "/v1/webhook", "/v1/reports", "/v1/returns")):
            assert security == ["agencyKey"], where
            assert "401" in op["responses"], where
        else:
            assert security == ["staffToken"], where
            assert headers.get("x-device-id", {}).get("required") is True, where
            assert {"401", "403"} <= op["responses"].keys(), where
        if "429" in op["responses"]:
            assert "Retry-After" in resolve(doc, op["responses"]["429"]).get("headers", {}), where
    schemes = doc["components"]["securitySchemes"]
    assert schemes["agencyKey"]["scheme"] == "bearer" and schemes["staffToken"]["scheme"] == "bearer"
    submit = doc["paths"]["/v1/documents"]["post"]
    key = next(p for p in submit["parameters"] if p["name"] == "Idempotency-Key")
    assert key["in"] == "header" and key["schema"]["maxLength"] == 255
    assert "Idempotency-Replayed" in submit["responses"]["201"]["headers"]
    for twilio in ("/hooks/twilio/status", "/hooks/twilio/inbound"):
        names = [p["name"] for p in doc["paths"][twilio]["post"]["parameters"]]
        assert "X-Twilio-Signature" in names


def test_vocabularies_are_enums_taken_from_their_single_source(doc):
    states = [s.value for s in State]
    assert _property(doc, "DocumentOut", "state")["enum"] == states
    assert _property(doc, "CustodyEventOut", "state")["enum"] == states
    assert _property(doc, "ScanResult", "state")["enum"] == states
    types = list(DEFAULT_DOCUMENT_TYPES.codes())
    assert _property(doc, "DocumentIn", "document_type")["enum"] == types
    assert _property(doc, "DocumentOut", "document_type")["enum"] == types
    assert set(_property(doc, "ScanIn", "action")["enum"]) == {str(a) for a in HANDHELD_ACTIONS}
    assert _property(doc, "ScanIn", "reason")["enum"] == list(FAIL_REASONS)
    assert _property(doc, "CitizenIn", "language")["enum"] == list(LANGUAGES)
    assert _property(doc, "TrackOut", "language")["enum"] == list(LANGUAGES)
    state_param = next(p for p in doc["paths"]["/v1/documents"]["get"]["parameters"]
                       if p["name"] == "state")
    assert resolve(doc, state_param["schema"]["items"])["enum"] == states


def test_the_list_of_documents_is_a_typed_page(doc):
    page = resolve(doc, doc["paths"]["/v1/documents"]["get"]["responses"]["200"]["content"][
        "application/json"]["schema"])
    assert set(page["required"]) == {"items", "next_cursor"}
    assert page["properties"]["items"]["items"] == {"$ref": "#/components/schemas/DocumentOut"}
    names = {p["name"] for p in doc["paths"]["/v1/documents"]["get"]["parameters"]}
    assert names == {"state", "document_type", "external_ref", "branch", "updated_since",
                     "cursor", "limit"}


def test_webhook_events_and_their_signature_are_documented(doc):
    assert set(doc["webhooks"]) == {"item.state_changed", "item.citizen_choice", "custody.anchor"}
    for name, item in doc["webhooks"].items():
        op = item["post"]
        schema = resolve(doc, op["requestBody"]["content"]["application/json"]["schema"])
        assert schema["properties"]["event"]["enum"] == [name]
        headers = {p["name"]: p for p in op["parameters"]}
        assert headers["Tasheel-Signature"]["required"] and "Tasheel-Event-Id" in headers
        assert "2XX" in op["responses"] or "200" in op["responses"]
        assert "HMAC-SHA256" in op["description"] + headers["Tasheel-Signature"]["description"]
    words = doc["info"]["description"]
    assert "HMAC-SHA256" in words and "t=" in words and "v1=" in words and "300" in words


def test_the_error_rules_are_written_down(doc):
    words = doc["info"]["description"]
    for phrase in ("application/problem+json", "400", "422", "413", "query:", "header:",
                   "JSON pointer"):
        assert phrase in words, phrase


# -- real answers --------------------------------------------------------------------------


class Caller:
    """Credentials for every kind of caller, and a sample value for every path parameter."""

    def __init__(self, agency: dict[str, str], staff: dict[str, dict[str, str]]) -> None:
        self.agency = agency
        self.staff = staff


UNKNOWN_PATH_VALUES = {
    "tracking_number": "RR987654326IQ", "token": "A" * 22, "code": "NO-SUCH-AGENCY",
    "prefix": "abcdefghij", "outbox_id": "987654", "report_id": "987654", "branch": "BG-999",
    "day": "2030-01-06", "bag_id": "BAG9876543215",
}
BAD_QUERY_VALUES = ("%%nonsense%%", "-1", "")


@pytest.fixture
async def callers(client, conn) -> Caller:
    key = await create_agency(conn, "MOI-SWEEP")
    staff = {}
    for n, (role, site) in enumerate((("sorting_clerk", "SC-BG"), ("branch_clerk", "BG-002"),
                                      ("courier", "BG-002"), ("supervisor", "BG-002"),
                                      ("admin", None), ("inspector", None))):
        staff[role] = await staff_token(client, conn, username=f"sweep{n}", role=role,
                                        site_code=site, device_id=f"dev-sweep-{n}",
                                        national=role == "inspector")
    return Caller(auth(key), staff)


def _url(path: str, values: dict[str, str]) -> str:
    # A parameter without a chosen value gets one that names nothing.
    return re.sub(r"\{(\w+)\}", lambda m: values.get(m[1], "no-such-thing"), path)


async def _send(client, method: str, url: str, headers: dict[str, str],
                body: bytes | None = None, params: dict[str, str] | None = None):
    if body is not None:
        headers = {**headers, "Content-Type": "application/json"}
    return await client.request(method.upper(), url, headers=headers, content=body,
                                params=params, follow_redirects=False)


async def _credentials(client, callers: Caller, method: str, path: str, op) -> dict[str, str]:
    """The headers of a caller allowed to call `op` (the first staff role not refused)."""
    security = [name for requirement in op.get("security", []) for name in requirement]
    if "agencyKey" in security:
        return callers.agency
    if "staffToken" not in security:
        return {}
    url = _url(path, UNKNOWN_PATH_VALUES)
    for headers in callers.staff.values():
        response = await _send(client, method, url, headers,
                               b"{}" if "requestBody" in op else None)
        if response.status_code != 403:
            return headers
    return callers.staff["admin"]


async def test_every_real_error_answer_is_documented(client, doc, callers):
    schemas = Schemas(doc)
    sent = 0
    for method, path, op in operations(doc):
        url = _url(path, UNKNOWN_PATH_VALUES)
        allowed = await _credentials(client, callers, method, path, op)
        attempts: list[tuple[dict[str, str], bytes | None, dict[str, str] | None]] = [
            ({}, None, None),
            ({"Authorization": "Bearer tsk_nonsense", "X-Device-Id": "dev-x"}, None, None),
            (allowed, None, None),
            (allowed, None, {"colour": "red"}),
        ]
        if "requestBody" in op:
            attempts += [(allowed, body, None) for body in
                         (b"{not json", b"", b"[]", b'{"unexpected": true}', b'{"url": 42}')]
        for param in op.get("parameters", []):
            if param["in"] == "query":
                attempts += [(allowed, None, {param["name"]: bad}) for bad in BAD_QUERY_VALUES]
        for headers, body, params in attempts:
            response = await _send(client, method, url, headers, body, params)
            check_answer(doc, method, path, response, schemas)
            sent += 1
    assert sent > 150


async def test_good_answers_match_their_documented_schemas(client, conn, doc, callers):
    schemas = Schemas(doc)

    async def call(method: str, path: str, values: dict[str, str] | None = None, *,
                   headers: dict[str, str], json: Any = None, expect: int) -> Any:
        response = await client.request(method.upper(), _url(path, values or {}), json=json,
                                        headers=headers)
        assert response.status_code == expect, response.text
        check_answer(doc, method, path, response, schemas)
        json_answer = response.headers.get("content-type", "").startswith("application/json")
        return response.json() if response.content and json_answer else None

    agency, clerk = callers.agency, callers.staff["sorting_clerk"]
    item = await call("post", "/v1/documents", headers=agency, json=document("G-1"), expect=201)
    tn = {"tracking_number": item["tracking_number"]}
    await call("post", "/v1/documents", headers=agency, json=document("G-1"), expect=200)
    await call("post", "/v1/documents/batch", headers=agency, expect=200, json={
        "documents": [document("G-2"), document("G-3", phone="123")]})
    await call("post", "/v1/scans", headers=clerk, expect=200, json={"scans": [
        scan_body(item["tracking_number"], "receive"), scan_body("RR987654326IQ", "receive")]})
    await call("get", "/v1/documents/{tracking_number}", tn, headers=agency, expect=200)
    page = await call("get", "/v1/documents", headers=agency, expect=200)
    assert len(page["items"]) == 2
    second = {"tracking_number": page["items"][-1]["tracking_number"]}
    await call("post", "/v1/documents/{tracking_number}/cancel", second, headers=agency,
               expect=200)
    await call("post", "/v1/documents/{tracking_number}/cancel", tn, headers=agency, expect=200)
    await call("put", "/v1/webhook", headers=agency, json={"url": "http://127.0.0.1:9/hook"},
               expect=200)
    await call("get", "/v1/webhook/deliveries", headers=agency, expect=200)
    await call("get", "/v1/reports/summary", headers=agency, expect=200)
    await call("get", "/v1/reports/items", headers=agency, expect=200)
    await call("get", "/v1/reports/items.csv", headers=agency, expect=200)
    bag = await call("post", "/v1/bags", headers=clerk, json={"destination": "BG-002"},
                     expect=201)
    await call("get", "/v1/labels/bags/{bag_id}", {"bag_id": bag["bag_id"]}, headers=clerk,
               expect=200)
    await call("get", "/v1/labels/items/{tracking_number}", tn, headers=callers.staff["admin"],
               expect=200)
    await call("get", "/v1/supervisor/alerts", headers=callers.staff["supervisor"], expect=200)
    await call("get", "/v1/ops/complaints", headers=callers.staff["inspector"], expect=200)
    await call("get", "/v1/ops/outbox/dead", headers=callers.staff["admin"], expect=200)
    await call("get", "/v1/routes/mine", headers=callers.staff["courier"], expect=200)
    await call("post", "/v1/admin/agencies/{code}/keys", {"code": "MOI-SWEEP"},
               headers=callers.staff["admin"], expect=201)
    token, _ = await new_item(conn, state="at_branch")
    await call("get", "/v1/track/{token}", {"token": token}, headers={}, expect=200)
    await call("post", "/v1/auth/login", headers={}, expect=200, json={
        "username": "sweep0", "password": "correct horse battery", "device_id": "dev-9"})
    await call("get", "/ready", headers={}, expect=200)


async def test_real_webhook_events_match_the_documented_ones(client, conn, doc, callers,
                                                              settings):
    from datetime import UTC, datetime, timedelta

    from delivery.agencies.webhooks import event_body
    from delivery.custody import anchors
    from delivery.platform.settings import anchor_signing_key
    from tests.api.test_tracking_forms import form

    created = await client.post("/v1/documents", json=document("W-1"), headers=callers.agency)
    assert created.status_code == 201
    token, _ = await new_item(conn, state="received")
    assert (await form(client, token, "mode", {"mode": "home"}))[0] == 303
    today = anchors.local_day(datetime.now(UTC))
    tomorrow = anchors.day_bounds(today)[1] + timedelta(hours=1)
    assert await anchors.make_due(conn, anchor_signing_key(settings), now=tomorrow)
    schemas = Schemas(doc)
    rows = await conn.fetch("SELECT id, topic, payload FROM outbox WHERE channel = 'webhook'")
    assert {r["topic"] for r in rows} == {"item.state_changed", "item.citizen_choice",
                                          "custody.anchor"}
    for row in rows:
        body = msgspec.json.decode(event_body(row["id"], row["payload"]))
        media = doc["webhooks"][row["topic"]]["post"]["requestBody"]["content"]["application/json"]
        assert not schemas.errors(body, media["schema"]), (row["topic"], body)
