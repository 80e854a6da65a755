"""Batches: the good accepted, the bad reported, nothing twice, retries safe."""

import pytest

from tests.helpers import auth, create_agency, document

pytestmark = pytest.mark.usefixtures("demo_sites")


@pytest.fixture
async def key(conn):
    return await create_agency(conn, "MOI-PASSPORTS")


def _batch(n: int, *, bad_every: int | None = None) -> list[dict]:
    docs = []
    for i in range(n):
        doc = document(f"B-{i:05d}", phone=f"0770{i:07d}",
                       location={"lat": 33.20 + (i % 100) * 0.003, "lon": 44.25 + (i % 37) * 0.007})
        if bad_every and i % bad_every == 7:
            doc["citizen"]["phone"] = "0770123"  # too short: refused
        docs.append(doc)
    return docs


async def test_ten_thousand_documents_with_one_percent_bad(client, key, conn):
    docs = _batch(10_000, bad_every=100)
    response = await client.post("/v1/documents/batch", json={"documents": docs},
                                 headers=auth(key), timeout=120)
    assert response.status_code == 200
    results = response.json()["results"]
    assert [r["index"] for r in results] == list(range(10_000))
    rejected = [r for r in results if r["status"] == "rejected"]
    assert len(rejected) == 100
    assert all(r["errors"][0]["field"] == f"/documents/{r['index']}/citizen/phone" for r in rejected)
    assert all(r["external_ref"] == f"B-{r['index']:05d}" for r in rejected)
    assert sum(r["status"] == "accepted" for r in results) == 9_900
    assert await conn.fetchval("SELECT count(*) FROM items") == 9_900
    assert await conn.fetchval("SELECT count(*) FROM custody_events") == 9_900
    assert await conn.fetchval("SELECT count(*) FROM outbox") == 19_800
    assert await conn.fetchval("SELECT count(*) FROM items WHERE branch_id IS NULL") == 0


async def test_retrying_a_committed_batch_changes_nothing(client, key, conn):
    docs = _batch(50, bad_every=10)
    first = (await client.post("/v1/documents/batch", json={"documents": docs},
                               headers=auth(key))).json()["results"]
    retry = (await client.post("/v1/documents/batch", json={"documents": docs},
                               headers=auth(key))).json()["results"]
    for a, b in zip(first, retry, strict=True):
        expected = {"accepted": "duplicate", "rejected": "rejected"}[a["status"]]
        assert b["status"] == expected
        assert b.get("tracking_number") == a.get("tracking_number")
    assert await conn.fetchval("SELECT count(*) FROM items") == 45
    assert await conn.fetchval("SELECT count(*) FROM outbox") == 90


async def test_batch_after_single_submissions_reports_duplicates_and_conflicts(client, key):
    await client.post("/v1/documents", json=document("X-1"), headers=auth(key))
    await client.post("/v1/documents", json=document("X-2"), headers=auth(key))
    docs = [document("X-1"), document("X-2", district="Rusafa"), document("X-3")]
    results = (await client.post("/v1/documents/batch", json={"documents": docs},
                                 headers=auth(key))).json()["results"]
    assert [r["status"] for r in results] == ["duplicate", "rejected", "accepted"]
    assert results[1]["errors"] == [{"field": "/documents/1/delivery/district",
                                     "message": results[1]["errors"][0]["message"]}]


async def test_a_reference_repeated_inside_one_batch_is_inserted_once(client, key, conn):
    docs = [document("D-1"), document("D-1"), document("D-1", district="Rusafa")]
    results = (await client.post("/v1/documents/batch", json={"documents": docs},
                                 headers=auth(key))).json()["results"]
    assert [r["status"] for r in results] == ["accepted", "duplicate", "rejected"]
    assert results[1]["tracking_number"] == results[0]["tracking_number"]
    assert results[2]["errors"][0]["field"] == "/documents/2/external_ref"
    assert await conn.fetchval("SELECT count(*) FROM items") == 1


async def test_rows_that_are_not_documents_are_rejected_alone(client, key):
    docs = [document("OK-1"), 42, {"external_ref": "NOPE"}, document("OK-2")]
    results = (await client.post("/v1/documents/batch", json={"documents": docs},
                                 headers=auth(key))).json()["results"]
    assert [r["status"] for r in results] == ["accepted", "rejected", "rejected", "accepted"]
    assert results[1]["errors"][0]["field"] == "/documents/1"
    assert results[2]["external_ref"] == "NOPE"


async def test_more_than_ten_thousand_is_413(client, key):
    docs = [{"external_ref": f"E-{i}"} for i in range(10_001)]
    response = await client.post("/v1/documents/batch", json={"documents": docs}, headers=auth(key))
    assert response.status_code == 413
    assert response.headers["content-type"].startswith("application/problem+json")


async def test_a_batch_that_is_not_an_envelope_is_422(client, key):
    response = await client.post("/v1/documents/batch", json=[document("A")], headers=auth(key))
    assert response.status_code == 422


async def test_idempotency_key_on_a_batch_replays_the_first_answer(client, key, conn):
    docs = _batch(3)
    headers = {**auth(key), "Idempotency-Key": "batch-2026-12-07"}
    first = await client.post("/v1/documents/batch", json={"documents": docs}, headers=headers)
    again = await client.post("/v1/documents/batch", json={"documents": docs}, headers=headers)
    assert first.status_code == again.status_code == 200
    assert again.json() == first.json()
    assert [r["status"] for r in first.json()["results"]] == ["accepted"] * 3
    assert again.headers["Idempotency-Replayed"] == "true"
    assert "Idempotency-Replayed" not in first.headers
    assert await conn.fetchval("SELECT count(*) FROM items") == 3


async def test_the_same_batch_key_with_another_body_is_a_422(client, key, conn):
    headers = {**auth(key), "Idempotency-Key": "batch-once"}
    await client.post("/v1/documents/batch", json={"documents": _batch(2)}, headers=headers)
    other = await client.post("/v1/documents/batch", json={"documents": _batch(3)},
                              headers=headers)
    assert other.status_code == 422
    assert other.json()["idempotency_key"] == "batch-once"
    assert await conn.fetchval("SELECT count(*) FROM items") == 2


async def test_a_single_submissions_key_never_replays_for_a_batch(client, key):
    headers = {**auth(key), "Idempotency-Key": "shared-key"}
    single = await client.post("/v1/documents", json=document("S-1"), headers=headers)
    assert single.status_code == 201
    batch = await client.post("/v1/documents/batch", json={"documents": [document("S-1")]},
                              headers=headers)
    assert batch.status_code == 422


async def test_a_bad_idempotency_key_on_a_batch_is_a_422_naming_the_header(client, key):
    response = await client.post("/v1/documents/batch", json={"documents": _batch(1)},
                                 headers={**auth(key), "Idempotency-Key": "x" * 256})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "header:Idempotency-Key"
