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
    @click.option("--governorate", default=None,
                  help="An inspector's or the help desk's governorate (ISO code, e.g. IQ-BG).")
    @click.option("--national", is_flag=True, help="An inspector of the whole country.")
    def create(username: str, role: str, site: str | None, governorate: str | None,
               national: bool) -> None:
        """Create an account; the password is read from standard input (one line)."""
        password = _read_password()
        services.configure_hashing(Settings.from_env())
        member = run(lambda conn: services.create_staff(
            conn, username=username, password=password, role=role, site_code=site,
            governorate=governorate, national=national))
        where = _where(member.role, member.site_code, member.governorate)
        click.echo(f"staff {member.username} created: {member.role} at {where}")

    @staff.command("list")
    def list_staff() -> None:
        """Every account: username, role, site, active or not (nothing else)."""
        for row in run(store.list_staff):
            state = "active" if row["active"] else "inactive"
            where = _where(row["role"], row["site_code"], row["governorate"])
            click.echo(f"{row['username']}\t{row['role']}\t{where}\t{state}")

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
    @click.option("--governorate", default=None,
                  help="An inspector's or the help desk's governorate (ISO code, e.g. IQ-BG).")
    @click.option("--national", is_flag=True, help="An inspector of the whole country.")
    def role(username: str, role: str, site: str | None, governorate: str | None,
             national: bool) -> None:
        """Give an account a role at a site or a governorate; its earlier tokens and console
        sessions are refused from their next request (the member logs in again)."""
        member = run(lambda conn: services.change_role(
            conn, username=username, role=role, site_code=site, governorate=governorate,
            national=national))
        where = _where(member.role, member.site_code, member.governorate)
        click.echo(f"staff {member.username} is now {member.role} at {where}")

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


def _where(role: str, site_code: str | None, governorate: str | None) -> str:
    """A site's code, a governorate, "national" for an inspector of the whole country, or "-"."""
    if site_code or governorate:
        return site_code or governorate or "-"
    return "national" if role == StaffRole.inspector else "-"


def _read_password() -> str:
    if sys.stdin.isatty():
        return click.prompt("password", hide_input=True, confirmation_prompt=True)
    return sys.stdin.readline().rstrip("\r\n")
