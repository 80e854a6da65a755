"""The direction of imports that ARCHITECTURE.md describes, held by import-linter's contracts in
pyproject.toml: an import that runs back up (an area importing the web wiring, the platform
importing an area) fails here."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _lint_imports(config: Path) -> subprocess.CompletedProcess:
    # In a process of its own: the checker reconfigures logging, silencing the loggers that
    # exist when it runs.
    return subprocess.run(
        [sys.executable, "-c", "import sys; from importlinter.cli import lint_imports; "
         f"sys.exit(lint_imports(config_filename={str(config)!r}, no_cache=True))"],
        cwd=ROOT, capture_output=True, text=True, timeout=120)


def test_every_import_runs_down_the_layers():
    run = _lint_imports(ROOT / "pyproject.toml")
    assert run.returncode == 0, run.stdout + run.stderr


def test_an_import_against_the_layers_is_caught(tmp_path):
    # The same checker, told the platform sits above the web, must find the web's imports of it.
    upside_down = tmp_path / "upside_down.toml"
    upside_down.write_text(
        '[tool.importlinter]\nroot_packages = ["delivery"]\n\n'
        '[[tool.importlinter.contracts]]\nname = "upside down"\ntype = "layers"\n'
        'layers = ["delivery.platform", "delivery.web"]\n')
    run = _lint_imports(upside_down)
    assert run.returncode == 1
    assert "delivery.web" in run.stdout and "BROKEN" in run.stdout
