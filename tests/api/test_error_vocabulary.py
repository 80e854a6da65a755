"""One error vocabulary: the same mistake gets the same status everywhere, and `field` names the
culprit the same way everywhere — a JSON pointer into the body, or `query:`, `header:`, `path:`
and the parameter's name.

The rule: a body that is not JSON at all is a 400; a readable request whose values break a rule
(wrong type, missing or unknown field, out of range, unknown parameter) is a 422; more items
than one call may carry is a 413.
"""

from __future__ import annotations

import pytest

from tests.custody_world import scan_body
from tests.helpers import (
    auth,
    create_agency,
    document,
    problem,
    problem_fields,
    staff_token,
)

pytestmark = pytest.mark.usefixtures("demo_sites")


@pytest.fixture
async def key(conn) -> str:
    return await create_agency(conn, "MOI-VOCAB")


@pytest.fixture
async def sorter(client, conn) -> dict[str, str]:
    return await staff_token(client, conn, username="sorter", role="sorting_clerk",
                             site_code="SC-BG", device_id="dev-sorter")


@pytest.mark.parametrize(("query", "field"), [
    ("limit=0", "query:limit"),
    ("limit=501", "query:limit"),
    ("limit=ten", "query:limit"),
    ("cursor=not-a-cursor", "query:cursor"),
    ("updated_since=yesterday", "query:updated_since"),
    ("state=flying", "query:state"),
    ("state=registered,flying", "query:state"),
    ("document_type=birth_certificate", "query:document_type"),
    ("colour=red", "query:colour"),
])
async def test_each_bad_query_parameter_of_the_list_is_a_422_naming_it(client, key, query, field):
    body = problem(await client.get(f"/v1/documents?{query}", headers=auth(key)), 422)
    assert problem_fields(body) == [field]
    if field in ("query:state", "query:document_type"):
        assert query.split("=")[1].split(",")[-1] in body["errors"][0]["message"]


async def test_the_list_filters_by_several_states_and_the_other_parameters(client, key):
    for ref in ("L-1", "L-2"):
        created = await client.post("/v1/documents", json=document(ref), headers=auth(key))
        assert created.status_code == 201
    tn = created.json()["tracking_number"]
    assert (await client.post(f"/v1/documents/{tn}/cancel", headers=auth(key))).status_code == 200
    both = (await client.get("/v1/documents?state=registered,cancelled&document_type=passport",
                             headers=auth(key))).json()
    assert {i["external_ref"] for i in both["items"]} == {"L-1", "L-2"}
    one = (await client.get("/v1/documents?external_ref=L-2", headers=auth(key))).json()
    assert [i["external_ref"] for i in one["items"]] == ["L-2"]
    branch = one["items"][0]["branch"]["code"]
    there = (await client.get(f"/v1/documents?branch={branch}", headers=auth(key))).json()
    assert len(there["items"]) == 2
    none = (await client.get("/v1/documents?branch=BG-999", headers=auth(key))).json()
    assert none["items"] == []


async def test_another_routes_bad_query_value_is_a_422_with_the_same_naming(client, key):
    body = problem(await client.get("/v1/webhook/deliveries?limit=0", headers=auth(key)), 422)
    assert problem_fields(body) == ["query:limit"]


async def test_an_unreadable_scan_is_refused_alone_naming_its_field(client, sorter):
    scans = [scan_body("RR987654326IQ", "receive"), {**scan_body("RR987654326IQ", "receive"),
                                                       "at": "yesterday"}]
    response = await client.post("/v1/scans", json={"scans": scans}, headers=sorter)
    assert response.status_code == 200
    first, second = response.json()["results"]
    assert first.get("reason") != "unreadable"  # judged: this item is simply unknown here
    assert (second["status"], second["reason"]) == ("rejected", "unreadable")
    assert second["error"].startswith("/scans/1/at: ")


async def test_a_missing_or_unknown_field_is_named_itself(client, sorter):
    missing = scan_body("RR987654326IQ", "receive")
    del missing["scan_id"]
    body = problem(await client.post("/v1/scans", json={"scans": [missing]}, headers=sorter), 422)
    assert problem_fields(body) == ["/scans/0/scan_id"]
    odd = {**scan_body("RR987654326IQ", "receive"), "colour": "red"}
    response = await client.post("/v1/scans", json={"scans": [odd]}, headers=sorter)
    [result] = response.json()["results"]
    assert result["error"].startswith("/scans/0/colour: ")


async def test_a_body_of_the_wrong_shape_is_a_422_on_every_route(client, key, sorter):
    for url, headers in (("/v1/documents", auth(key)), ("/v1/documents/batch", auth(key)),
                         ("/v1/scans", sorter), ("/v1/auth/login", {})):
        body = problem(await client.post(url, json=[1, 2], headers=headers), 422)
        assert problem_fields(body) == [""], url  # the pointer to the whole body


async def test_a_body_that_is_not_json_is_a_400_on_every_route(client, key, sorter):
    for url, headers in (("/v1/documents", auth(key)), ("/v1/documents/batch", auth(key)),
                         ("/v1/scans", sorter), ("/v1/auth/login", {})):
        for content in (b"{not json", b""):
            response = await client.post(url, content=content,
                                         headers={**headers, "Content-Type": "application/json"})
            body = problem(response, 400)
            assert body["type"] == "urn:tasheel:problem:malformed-request", url


async def test_an_empty_list_is_a_422_on_both_batch_routes(client, key, sorter):
    body = problem(await client.post("/v1/documents/batch", json={"documents": []},
                                      headers=auth(key)), 422)
    assert problem_fields(body) == ["/documents"]
    body = problem(await client.post("/v1/scans", json={"scans": []}, headers=sorter), 422)
    assert problem_fields(body) == ["/scans"]


async def test_too_many_items_in_one_call_is_a_413_on_both_batch_routes(client, key, sorter):
    scans = [scan_body("RR987654326IQ", "receive") for _ in range(501)]
    body = problem(await client.post("/v1/scans", json={"scans": scans}, headers=sorter), 413)
    assert problem_fields(body) == ["/scans"]
    docs = [{"external_ref": f"E-{i}"} for i in range(10_001)]
    body = problem(await client.post("/v1/documents/batch", json={"documents": docs},
                                      headers=auth(key)), 413)
    assert problem_fields(body) == ["/documents"]


async def test_a_bad_header_is_named_header_colon_name(client, key):
    headers = {**auth(key), "Idempotency-Key": "x" * 300}
    body = problem(await client.post("/v1/documents", json=document("H-1"), headers=headers), 422)
    assert problem_fields(body) == ["header:Idempotency-Key"]


async def test_the_same_problem_type_has_the_same_title_everywhere(client, key, sorter):
    intake = problem(await client.post("/v1/documents", content=b"{", headers=auth(key)), 400)
    scans = problem(await client.post("/v1/scans", content=b"{",
                                       headers={**sorter, "Content-Type": "application/json"}), 400)
    assert (intake["type"], intake["title"]) == (scans["type"], scans["title"])
    intake = problem(await client.post("/v1/documents", json={}, headers=auth(key)), 422)
    scans = problem(await client.post("/v1/scans", json={}, headers=sorter), 422)
    assert (intake["type"], intake["title"]) == (scans["type"], scans["title"])
