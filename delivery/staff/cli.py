"""`tasheel staff create | list | deactivate | role | reset-password` and `tasheel sites list`."""

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

    @staff.command("list")
    def list_staff() -> None:
        """Every account: username, role, site, active or not (nothing else)."""
        for row in run(store.list_staff):
            state = "active" if row["active"] else "inactive"
            click.echo(f"{row['username']}\t{row['role']}\t{row['site_code'] or '-'}\t{state}")

    @staff.command()
    @click.option("--username", required=True)
    def deactivate(username: str) -> None:
        """Stop an account: no more logins; its tokens are refused from their next request."""
        run(lambda conn: services.deactivate(conn, username=username))
        click.echo(f"staff {username.strip().lower()} deactivated")

    @staff.command()
    @click.option("--username", required=True)
    @click.option("--role", required=True, type=click.Choice([r.value for r in StaffRole]))
    @click.option("--branch", "--site", "site", default=None,
                  help="Code of the site they will work at (a branch or a sorting centre).")
    def role(username: str, role: str, site: str | None) -> None:
        """Give an account a role at a site; its earlier tokens are refused from their next
        request (the member logs in again)."""
        member = run(lambda conn: services.change_role(conn, username=username, role=role,
                                                       site_code=site))
        click.echo(f"staff {member.username} is now {member.role} at {member.site_code or '-'}")

    @staff.command("reset-password")
    @click.option("--username", required=True)
    def reset_password(username: str) -> None:
        """Set a new password, read from standard input (one line); earlier tokens stop."""
        password = _read_password()
        services.configure_hashing(Settings.from_env())
        run(lambda conn: services.reset_password(conn, username=username, password=password))
        click.echo(f"staff {username.strip().lower()}: password changed, earlier tokens revoked")

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
