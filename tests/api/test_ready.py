"""/ready follows Redis going away and coming back, without restarting the app."""

import asyncio
import socket
import subprocess
from pathlib import Path

import msgspec
import pytest
from litestar.testing import AsyncTestClient

from delivery.platform.embedded import redis_server_bin
from delivery.web.app import create_app
from tests.helpers import free_port


def _start_redis(port: int, folder: Path) -> subprocess.Popen:
    proc = subprocess.Popen([str(redis_server_bin()), "--port", str(port), "--bind", "127.0.0.1",
                             "--save", "", "--dir", str(folder)], stdout=subprocess.DEVNULL)
    for _ in range(200):
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return proc
        import time

        time.sleep(0.02)
    raise RuntimeError("redis did not start")


@pytest.fixture
def own_redis(tmp_path):
    port = free_port()
    state = {"proc": _start_redis(port, tmp_path)}
    yield port, state, tmp_path
    state["proc"].terminate()
    state["proc"].wait()


async def test_ready_turns_503_without_redis_and_200_when_it_returns(settings, own_redis):
    port, state, folder = own_redis
    app = create_app(msgspec.structs.replace(settings, redis_url=f"redis://127.0.0.1:{port}/0"))
    async with AsyncTestClient(app=app) as client:
        assert (await client.get("/ready")).status_code == 200
        state["proc"].terminate()
        state["proc"].wait()
        down = await client.get("/ready")
        assert down.status_code == 503
        assert down.json()["redis"] == "down" and down.json()["postgres"] == "ok"
        state["proc"] = _start_redis(port, folder)
        for _ in range(50):
            if (await client.get("/ready")).status_code == 200:
                break
            await asyncio.sleep(0.1)
        assert (await client.get("/ready")).status_code == 200


async def test_health_answers_without_touching_dependencies(client):
    response = await client.get("/health")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


async def test_metrics_are_exposed_for_prometheus(client):
    await client.get("/health")
    response = await client.get("/metrics")
    assert response.status_code == 200
    assert "tasheel_requests_total" in response.text


async def test_schema_is_served_with_an_interactive_viewer(client):
    spec = await client.get("/schema/openapi.json")
    assert spec.status_code == 200
    assert "/v1/documents" in spec.json()["paths"]
    schemas = spec.json()["components"]["schemas"]
    body = spec.json()["paths"]["/v1/documents/batch"]["post"]["requestBody"]
    batch = body["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    document = schemas[batch]["properties"]["documents"]["items"]["$ref"].rsplit("/", 1)[-1]
    assert {"external_ref", "document_type", "citizen", "delivery"} <= set(
        schemas[document]["required"])
    viewer = await client.get("/schema")
    assert viewer.status_code == 200 and "<html" in viewer.text.lower()
