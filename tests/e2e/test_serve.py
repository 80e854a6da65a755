"""`tasheel serve` as a newcomer runs it: embedded servers, demo data, a working key, clean stop."""

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import psutil
import pytest

from tests.helpers import free_port

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]


def _tail(log: Path) -> str:
    return "\n".join(log.read_text().splitlines()[-15:])


def _wait_for_key(proc: subprocess.Popen, deadline: float) -> str:
    seen = ""
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line and proc.poll() is not None:
            break
        seen += line
        if match := re.search(r"(tsk_[a-z0-9]{10}_[A-Za-z0-9_-]{43})", line):
            return match.group(1)
    raise AssertionError(f"no demo key printed; output so far:\n{seen}")


def test_serve_becomes_ready_prints_a_working_key_and_stops_on_sigterm(tmp_path):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env |= {"TASHEEL_DATA_DIR": str(tmp_path / "data"), "PYTHONUNBUFFERED": "1"}
    log = tmp_path / "serve.log"  # what it said, shown when a check fails
    proc = subprocess.Popen([sys.executable, "-m", "delivery.cli", "serve", "--port", str(port)],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=log.open("w"),
                            text=True)
    try:
        key = _wait_for_key(proc, time.monotonic() + 90)
        base = f"http://127.0.0.1:{port}"
        ready = httpx.get(f"{base}/ready", timeout=5)
        assert ready.status_code == 200 and ready.json()["worker"] == "ok"
        listed = httpx.get(f"{base}/v1/documents", headers={"Authorization": f"Bearer {key}"})
        assert listed.status_code == 200 and listed.json()["items"]  # the demo day's documents
        assert httpx.get(f"{base}/v1/documents").status_code == 401
        children = psutil.Process(proc.pid).children(recursive=True)
        started = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=10)
        assert time.monotonic() - started < 10, _tail(log)
    finally:
        if proc.poll() is None:
            proc.kill()
    time.sleep(0.5)
    leftovers = [p for p in psutil.process_iter(["cmdline", "status"])
                 if str(tmp_path) in " ".join(p.info["cmdline"] or [])
                 and p.info["status"] != psutil.STATUS_ZOMBIE]
    assert leftovers == [], (leftovers, _tail(log))
    assert all(not c.is_running() or c.status() == psutil.STATUS_ZOMBIE for c in children)
