"""A client generated from /schema/openapi.json works: it hands a document over and reads the
problem details of a refused one through its own models."""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import create_agency

pytestmark = [pytest.mark.usefixtures("demo_sites"), pytest.mark.slow]

PACKAGE = "tasheel_generated_client"


def _generate(schema: bytes, where: Path) -> None:
    (where / "openapi.json").write_bytes(schema)
    tool = Path(sys.executable).parent / "openapi-python-client"
    done = subprocess.run(
        [str(tool), "generate", "--path", str(where / "openapi.json"),
         "--output-path", str(where / PACKAGE), "--meta", "none"],
        capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    # Anything the generator could not turn into code is reported as a warning.
    assert "Unable to" not in done.stdout + done.stderr, done.stdout + done.stderr


async def test_a_generated_client_submits_and_reads_problem_details(client, conn, tmp_path):
    _generate((await client.get("/schema/openapi.json")).content, tmp_path)
    sys.path.insert(0, str(tmp_path))
    try:
        generated = importlib.import_module(PACKAGE)
        submit = importlib.import_module(f"{PACKAGE}.api.agencies.submit_document")
        read = importlib.import_module(f"{PACKAGE}.api.agencies.get_document")
        models = importlib.import_module(f"{PACKAGE}.models")
    finally:
        sys.path.remove(str(tmp_path))

    key = await create_agency(conn, "MOI-CODEGEN")
    # The test client is an httpx.AsyncClient bound to the running app (lifespan included): the
    # generated code sends its requests through it, with the agency's key.
    client.headers["Authorization"] = f"Bearer {key}"
    api = generated.AuthenticatedClient(base_url=str(client.base_url), token=key)
    api.set_async_httpx_client(client)

    def document(phone: str):
        return models.DocumentIn(
            external_ref="MOI-PP-2026-000123", document_type=models.DocumentTypeCode.PASSPORT,
            citizen=models.CitizenIn(name="أحمد علي حسن", phone=phone,
                                     national_id="199012345678"),
            delivery=models.DeliveryIn(governorate="IQ-BG", district="Karkh",
                                       location=models.LocationIn(lat=33.312, lon=44.361)))

    created = await submit.asyncio_detailed(client=api, body=document("07701234567"),
                                            idempotency_key="first-try")
    assert created.status_code == 201, created.content
    item = created.parsed
    assert isinstance(item, models.DocumentOut)
    assert item.state == models.State.REGISTERED
    assert item.tracking_number.endswith("IQ") and item.citizen.phone.endswith("567")

    refused = await submit.asyncio_detailed(client=api, body=document("0770123"))
    assert refused.status_code == 422
    problem = refused.parsed
    assert isinstance(problem, models.Problem)
    assert problem.status == 422 and problem.type_ == "urn:tasheel:problem:invalid-input"
    assert [e.field for e in problem.errors] == ["/citizen/phone"]

    missing = await read.asyncio_detailed("RR987654326IQ", client=api)
    assert missing.status_code == 404 and isinstance(missing.parsed, models.Problem)
    again = await read.asyncio(item.tracking_number, client=api)
    assert isinstance(again, models.DocumentOut) and again.events
