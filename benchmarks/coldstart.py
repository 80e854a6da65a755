"""How long `tasheel serve` takes to be ready on embedded servers: first start, then a restart.

    uv run python benchmarks/coldstart.py

The first start creates the database (initdb), migrates and seeds the demo data in an empty data
folder; the second finds all of it in place. Both are timed from launching the command until
`/ready` answers 200, and then until the process has exited after SIGTERM.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.support import ROOT, free_port


def start_and_stop(data_dir: str, port: int) -> tuple[float, float]:
    """Seconds until ready, and seconds from SIGTERM until the process is gone."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env["TASHEEL_DATA_DIR"] = data_dir
    started = time.monotonic()
    proc = subprocess.Popen(["uv", "run", "tasheel", "serve", "--port", str(port)], cwd=ROOT,
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while True:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/ready", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            if proc.poll() is not None:
                raise RuntimeError("tasheel serve exited before it was ready") from None
        time.sleep(0.05)
    ready = time.monotonic() - started
    stopping = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=30)
    return ready, time.monotonic() - stopping


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="tasheel-coldstart-") as data_dir:
        for label in ("first start (initdb, migrations, demo data)", "second start"):
            ready, stop = start_and_stop(data_dir, free_port())
            print(f"{label:<46} ready after {ready:5.2f} s, gone {stop:4.2f} s after SIGTERM")


if __name__ == "__main__":
    main()
