"""The direction of imports that ARCHITECTURE.md describes, held by import-linter's contracts in
pyproject.toml: an import that runs back up (an area importing the web wiring, the platform
importing an area) fails here."""

from pathlib import Path

from importlinter.cli import lint_imports

ROOT = Path(__file__).resolve().parents[2]


def test_every_import_runs_down_the_layers(monkeypatch):
    monkeypatch.chdir(ROOT)
    assert lint_imports(config_filename=str(ROOT / "pyproject.toml"), no_cache=True) == 0


def test_an_import_against_the_layers_is_caught(monkeypatch, tmp_path):
    # The same checker, told the platform sits above the web, must find the web's imports of it.
    upside_down = tmp_path / "upside_down.toml"
    upside_down.write_text(
        '[tool.importlinter]\nroot_packages = ["delivery"]\n\n'
        '[[tool.importlinter.contracts]]\nname = "upside down"\ntype = "layers"\n'
        'layers = ["delivery.platform", "delivery.web"]\n')
    monkeypatch.chdir(ROOT)
    assert lint_imports(config_filename=str(upside_down), no_cache=True) == 1
