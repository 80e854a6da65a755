"""The README tells the truth: every setting the service reads and every command it has."""

import re
from pathlib import Path

import click

from delivery.cli import main
from delivery.platform.settings import Settings

README = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")


class _Recording(dict):
    """An environment that notes every variable asked for."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.asked: set[str] = set()

    def get(self, key, default=None):
        self.asked.add(key)
        return super().get(key, default)

    def __getitem__(self, key):
        self.asked.add(key)
        return super().__getitem__(key)

    def __contains__(self, key) -> bool:
        self.asked.add(key)
        return super().__contains__(key)


def _section(title: str) -> str:
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## )", README, re.M | re.S)
    assert match, f"README has no section '{title}'"
    return match.group(1)


def _first_cells(section: str) -> list[str]:
    return [line.split("|")[1] for line in section.splitlines()
            if line.startswith("| ") and not line.startswith("| ---")][1:]


def _documented_settings() -> set[str]:
    return {name for cell in _first_cells(_section("Configuration"))
            for name in re.findall(r"`([A-Z][A-Z0-9_]+)`", cell)}


def _documented_commands() -> set[str]:
    return {" ".join(re.findall(r"[a-z][a-z-]*", words)) for cell in _first_cells(_section("Command line"))
            for words in re.findall(r"`tasheel ((?:[a-z][a-z-]* ?)+)", cell)}


def _commands(group: click.Group, prefix: str = "") -> set[str]:
    names = set()
    for name, command in group.commands.items():
        path = f"{prefix}{name}"
        names |= _commands(command, f"{path} ") if isinstance(command, click.Group) else {path}
    return names


def test_every_setting_the_service_reads_is_in_the_readme_and_nothing_else(tmp_path):
    env = _Recording({"TASHEEL_DATA_DIR": str(tmp_path)})
    Settings.from_env(env)
    assert env.asked == _documented_settings()


def test_every_command_of_tasheel_help_is_in_the_readme_and_nothing_else():
    assert _commands(main) == _documented_commands()
