"""A newcomer's plain run of a command says what it did and nothing else."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]


def test_a_command_on_embedded_servers_prints_no_warning(tmp_path):
    env = {k: v for k, v in os.environ.items()
           if k not in ("DATABASE_URL", "REDIS_URL", "XDG_RUNTIME_DIR")}
    env |= {"TASHEEL_DATA_DIR": str(tmp_path / "data"), "TASHEEL_DEMO_SEED": "0"}
    done = subprocess.run([sys.executable, "-m", "delivery.cli", "sites", "list"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr
    assert "Warning" not in done.stderr, done.stderr
