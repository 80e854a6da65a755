"""Schema-driven fuzzing of the whole API: no request, however hostile, gets a 5xx, and every
answer is one the OpenAPI document announces (status and body).

Schemathesis reads the service's own document from a real uvicorn and sends, to every
operation, requests that follow it and requests that break it, as an agency, as staff of each
role and as nobody. The examples are few and derandomized so the run is the same on every
machine and fits in CI (about 20 seconds here).
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator

import httpx
import hypothesis
import pytest
import schemathesis
import uvicorn
from hypothesis import HealthCheck
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.core.failures import Failure, FailureGroup
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

from delivery.web.app import create_app
from tests.helpers import auth, create_agency, free_port, staff_token

pytestmark = [pytest.mark.usefixtures("demo_sites"), pytest.mark.slow]

EXAMPLES_PER_OPERATION = 25
STAFF_ROLES = {"sorting_clerk": "SC-BG", "branch_clerk": "BG-001", "courier": "BG-001",
               "supervisor": "BG-001", "admin": "SC-BG"}


class _Server(uvicorn.Server):
    def install_signal_handlers(self) -> None:  # the test runner owns the signals
        pass


@pytest.fixture
def served(settings) -> Iterator[str]:
    """The whole app behind a real uvicorn, in a thread with its own event loop."""
    port = free_port()
    server = _Server(uvicorn.Config(create_app(settings), host="127.0.0.1", port=port,
                                    log_level="warning", lifespan="on"))
    thread = threading.Thread(target=lambda: asyncio.run(server.serve()), daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "uvicorn did not start"
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


async def _identities(client, conn) -> dict[str, dict[str, str]]:
    key = await create_agency(conn, "FUZZ")
    found = {"agency": auth(key), "nobody": {}}
    for role, site in STAFF_ROLES.items():
        found[role] = await staff_token(client, conn, username=f"fuzz-{role}", role=role,
                                        site_code=site, device_id=f"fuzz-{role}")
    return found


def _callers(operation, identities: dict[str, dict[str, str]]) -> list[dict[str, str]]:
    """Who calls an operation: the holders of the scheme it names, and nobody."""
    schemes = {name for req in operation.definition.raw.get("security") or [] for name in req}
    if "agencyKey" in schemes:
        return [identities["agency"], identities["nobody"]]
    if "staffToken" in schemes:
        return [identities[role] for role in STAFF_ROLES]
    return [identities["nobody"]]


def _fuzz(base_url: str, identities: dict[str, dict[str, str]]) -> list[str]:
    schema = schemathesis.openapi.from_url(f"{base_url}/schema/openapi.json")
    failures: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()
        strategies = [operation.as_strategy(generation_mode=mode)
                      for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)]
        callers = _callers(operation, identities)

        @hypothesis.settings(max_examples=EXAMPLES_PER_OPERATION, derandomize=True,
                             deadline=None, database=None, phases=[hypothesis.Phase.generate],
                             suppress_health_check=list(HealthCheck))
        @hypothesis.given(case=st.one_of(*strategies), caller=st.sampled_from(callers))
        def run(case, caller):
            response = case.call(base_url=base_url, headers=caller, timeout=30)
            if response.status_code >= 500:
                failures.append(f"{case.method} {case.formatted_path} → {response.status_code}: "
                                f"{case.as_curl_command(headers=caller)}")
            try:
                case.validate_response(response, checks=[response_schema_conformance,
                                                         status_code_conformance])
            except (Failure, FailureGroup) as exc:
                failures.append(f"{case.method} {case.formatted_path} → {response.status_code}: "
                                f"{str(exc)[:300]}")

        run()
    return failures


async def test_no_request_to_any_operation_gets_a_5xx_or_an_undocumented_answer(client, conn,
                                                                               served):
    identities = await _identities(client, conn)
    started = time.monotonic()
    failures = await asyncio.to_thread(_fuzz, served, identities)
    assert not failures, "\n".join(failures)
    assert time.monotonic() - started < 150
    ready = await asyncio.to_thread(httpx.get, f"{served}/ready")
    assert ready.status_code == 200
