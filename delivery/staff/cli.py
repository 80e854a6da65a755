"""`tasheel staff create` and `tasheel sites list`."""

from __future__ import annotations

import sys

import click

from delivery.platform.settings import Settings
from delivery.staff import services, store
from delivery.staff.model import StaffRole


def register(main: click.Group, run) -> None:
    """Attach the `staff` and `sites` commands; `run(fn)` calls fn(conn) on a migrated database."""

    @main.group()
    def staff() -> None:
        """Postal staff accounts."""

    @staff.command()
    @click.option("--username", required=True)
    @click.option("--role", required=True, type=click.Choice([r.value for r in StaffRole]))
    @click.option("--branch", "--site", "site", default=None,
                  help="Code of the site they work at (a branch or a sorting centre).")
    def create(username: str, role: str, site: str | None) -> None:
        """Create an account; the password is read from standard input (one line)."""
        password = _read_password()
        services.configure_hashing(Settings.from_env())
        member = run(lambda conn: services.create_staff(conn, username=username, password=password,
                                                        role=role, site_code=site))
        click.echo(f"staff {member.username} created: {member.role} at {member.site_code or '-'}")

    @main.group()
    def sites() -> None:
        """Branches and sorting centres."""

    @sites.command("list")
    def list_sites() -> None:
        """Every site: code, kind, governorate, name."""
        for row in run(store.list_sites):
            click.echo(f"{row['code']}\t{row['kind']}\t{row['governorate']}\t{row['name_en']}")


def _read_password() -> str:
    if sys.stdin.isatty():
        return click.prompt("password", hide_input=True, confirmation_prompt=True)
    return sys.stdin.readline().rstrip("\r\n")
