"""Every error answers as RFC 9457 problem details, naming the fields at fault."""

import msgspec
import pytest
from litestar import Litestar, get
from litestar.testing import AsyncTestClient

from delivery.platform import errors
from delivery.web.problems import DOMAIN_PROBLEMS, EXCEPTION_HANDLERS, PROBLEM_JSON
from tests.helpers import create_agency, document


def _is_problem(response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM_JSON)
    body = response.json()
    assert body["status"] == status and body["type"].startswith("urn:tasheel:problem:")
    assert body["title"]
    return body


async def test_unknown_route_is_a_404_problem(client):
    _is_problem(await client.get("/no/such/thing"), 404)


async def test_wrong_method_is_a_405_problem(client):
    _is_problem(await client.delete("/health"), 405)


async def test_missing_api_key_is_a_401_problem(client):
    _is_problem(await client.get("/v1/documents"), 401)


async def test_revoked_or_forged_key_is_a_401_problem(client, conn):
    key = await create_agency(conn, "MOI-A")
    forged = key[:-4] + "AAAA"
    _is_problem(await client.get("/v1/documents", headers={"Authorization": f"Bearer {forged}"}),
                401)


async def test_body_that_is_not_json_is_a_400_problem(client, conn):
    key = await create_agency(conn, "MOI-A")
    body = _is_problem(await client.post("/v1/documents", content=b"{not json",
                                         headers={"Authorization": f"Bearer {key}"}), 400)
    assert "JSON" in body["detail"]


async def test_invalid_field_is_a_422_problem_naming_it(client, conn):
    key = await create_agency(conn, "MOI-A")
    doc = document("R1", phone="0770123456")
    body = _is_problem(await client.post("/v1/documents", json=doc,
                                         headers={"Authorization": f"Bearer {key}"}), 422)
    assert {"field": "/citizen/phone"} .items() <= body["errors"][0].items()


async def test_oversized_body_is_a_413_problem(client, conn, settings):
    key = await create_agency(conn, "MOI-A")
    huge = b'{"documents": [' + b" " * (settings.max_body_bytes + 10) + b"]}"
    _is_problem(await client.post("/v1/documents/batch", content=huge,
                                  headers={"Authorization": f"Bearer {key}"}), 413)


async def test_unknown_item_is_a_404_problem(client, conn):
    key = await create_agency(conn, "MOI-A")
    _is_problem(await client.get("/v1/documents/RR000000014IQ",
                                 headers={"Authorization": f"Bearer {key}"}), 404)


async def test_unexpected_failure_is_a_500_problem_without_internals():
    @get("/boom", sync_to_thread=False)
    def boom() -> None:
        raise RuntimeError("secret internals")

    app = Litestar([boom], exception_handlers=EXCEPTION_HANDLERS, logging_config=None)
    async with AsyncTestClient(app=app) as client:
        body = _is_problem(await client.get("/boom"), 500)
    assert "secret internals" not in msgspec.json.encode(body).decode()


@pytest.mark.parametrize("error_class", list(DOMAIN_PROBLEMS))
async def test_every_domain_error_maps_to_its_own_problem(error_class):
    @get("/fail", sync_to_thread=False)
    def fail() -> None:
        if error_class is errors.RateLimited:
            raise errors.RateLimited("what went wrong", retry_after=7)
        raise error_class("what went wrong",
                          errors=[errors.FieldError(field="/x", message="bad")])

    app = Litestar([fail], exception_handlers=EXCEPTION_HANDLERS, logging_config=None)
    async with AsyncTestClient(app=app) as client:
        response = await client.get("/fail")
    kind = DOMAIN_PROBLEMS[error_class]
    body = _is_problem(response, kind.status)
    assert body["type"].endswith(kind.slug) and body["detail"] == "what went wrong"
    if error_class is errors.RateLimited:
        assert response.headers["retry-after"] == "7"
    else:
        assert body["errors"] == [{"field": "/x", "message": "bad"}]


def test_citizen_tokens_never_reach_the_logs_in_a_path():
    from delivery.web.problems import loggable_path

    assert loggable_path("/t/abcDEF123_-xyz/mode") == "/t/[token]/mode"
    assert loggable_path("/v1/track/abcDEF123_-xyz") == "/v1/track/[token]"
    assert loggable_path("/v1/documents/RR000000014IQ") == "/v1/documents/RR000000014IQ"
