"""Small builders shared by tests."""

from __future__ import annotations

import contextlib
import copy
import socket
from typing import Any

from delivery.agencies import services as agencies


async def create_agency(conn, code: str, *, name: str | None = None) -> str:
    """A new agency; returns its API key."""
    _, key = await agencies.create_agency(conn, code=code, name=name or f"Agency {code}")
    return key


def auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def document(ref: str, **changes: Any) -> dict[str, Any]:
    """A valid document in Baghdad; keyword arguments replace citizen or delivery fields."""
    doc: dict[str, Any] = {
        "external_ref": ref,
        "document_type": "passport",
        "citizen": {"name": "Ahmed Ali Hassan", "phone": "07701234567",
                    "national_id": "199012345678"},
        "delivery": {"mode": "home", "governorate": "IQ-BG", "district": "Karkh",
                     "address_text": "mahalla 314, zuqaq 7, house 12",
                     "location": {"lat": 33.312, "lon": 44.361}},
    }
    doc = copy.deepcopy(doc)
    for key, value in changes.items():
        section = "citizen" if key in doc["citizen"] or key == "language" else "delivery"
        if key == "document_type":
            doc["document_type"] = value
        elif value is None:
            doc[section].pop(key, None)
        else:
            doc[section][key] = value
    return doc


async def staff_token(client, conn, *, username: str, role: str, site_code: str | None,
                      password: str = "correct horse battery",
                      device_id: str = "dev-1", governorate: str | None = None,
                      national: bool = False) -> dict[str, str]:
    """Create a staff member, log them in from `device_id`; returns the headers to send."""
    from delivery.staff import services as staff

    await staff.create_staff(conn, username=username, password=password, role=role,
                             site_code=site_code, governorate=governorate, national=national)
    response = await client.post("/v1/auth/login", json={
        "username": username, "password": password, "device_id": device_id})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}", "X-Device-Id": device_id}


def free_port() -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.asynccontextmanager
async def running_app(settings):
    """The whole app, lifespan included, on the test's own event loop (for `peer_client`)."""
    from delivery.web.app import create_app

    app = create_app(settings)
    async with app.lifespan():
        yield app


@contextlib.asynccontextmanager
async def peer_client(app, address: str, port: int = 40000):
    """An HTTP client of a `running_app` whose requests come from `address`."""
    import httpx

    transport = httpx.ASGITransport(app=app, client=(address, port))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver.local") as peer:
        yield peer


async def invoke_cli(args: list[str], env: dict[str, str], stdin: str | None = None):
    """Run `tasheel ARGS` in a thread (the command runs an event loop of its own)."""
    import asyncio

    from click.testing import CliRunner

    from delivery.cli import main

    return await asyncio.to_thread(CliRunner().invoke, main, args, env=env, input=stdin)


def problem(response, status: int) -> dict:
    """The body of a problem-details answer with `status`."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    return response.json()


def problem_fields(body: dict) -> list[str]:
    """The fields a problem names, in order."""
    return [e["field"] for e in body.get("errors", [])]
