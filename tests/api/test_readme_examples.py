"""The README's example document and batch do what the README says they do."""

import json
import re
from pathlib import Path

import pytest

from tests.helpers import auth, create_agency

pytestmark = pytest.mark.usefixtures("demo_sites")
README = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")


def _examples() -> list[dict]:
    section = re.search(r"^## A first document\n(.*?)(?=^## )", README, re.M | re.S).group(1)
    return [json.loads(block) for block in re.findall(r"```json\n(.*?)```", section, re.S)]


async def test_the_readme_document_is_accepted_with_a_tracking_number(client, conn):
    key = await create_agency(conn, "MOI-PASSPORTS")
    document, _ = _examples()
    response = await client.post("/v1/documents", json=document, headers=auth(key))
    assert response.status_code == 201, response.text
    item = response.json()
    assert item["state"] == "registered" and item["tracking_number"].endswith("IQ")
    assert "زينب" not in response.text


async def test_the_readme_batch_accepts_the_good_one_and_names_the_bad_phone(client, conn):
    key = await create_agency(conn, "MOT-LICENCES")
    _, batch = _examples()
    response = await client.post("/v1/documents/batch", json=batch, headers=auth(key))
    assert response.status_code == 200, response.text
    first, second = response.json()["results"]
    assert first["status"] == "accepted"
    assert second["status"] == "rejected"
    assert [e["field"] for e in second["errors"]] == ["/documents/1/citizen/phone"]
