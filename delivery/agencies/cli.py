"""`tasheel agency …`: create agencies, rotate and revoke their keys."""

from __future__ import annotations

import click

from delivery.agencies import services, store


def register(main: click.Group, run) -> None:
    """Attach the `agency` commands; `run(fn)` calls fn(conn) with servers available."""

    @main.group()
    def agency() -> None:
        """Agencies that hand documents over, and their API keys."""

    @agency.command()
    @click.option("--code", required=True, help="Short code, e.g. MOI-PASSPORTS.")
    @click.option("--name", required=True, help="Full name.")
    @click.option("--language", type=click.Choice(["ar", "ckb", "en"]), default=None,
                  help="Language of the citizens' SMS when a document does not say.")
    @click.option("--test", "test_mode", is_flag=True,
                  help="A test-mode agency: its documents never reach staff or real SMS, and "
                       "it advances them itself (POST /v1/documents/{tn}/simulate).")
    def create(code: str, name: str, language: str | None, test_mode: bool) -> None:
        """Create an agency; prints its API key, once, alone on the last line."""
        _, key = run(lambda conn: services.create_agency(conn, code=code, name=name,
                                                          language=language, test_mode=test_mode))
        kind = "test-mode agency" if test_mode else "agency"
        click.echo(f"{kind} {code} created; its API key (shown only now):")
        click.echo(key)

    @agency.command("rotate-key")
    @click.option("--code", required=True)
    @click.option("--revoke-old", is_flag=True, help="Stop accepting the old keys at once.")
    def rotate_key(code: str, revoke_old: bool) -> None:
        """Issue a new key; the old ones keep working until revoked."""
        key = run(lambda conn: services.rotate_key(conn, code, revoke_old=revoke_old))
        click.echo(f"new API key for {code} (shown only now):")
        click.echo(key)

    @agency.command("revoke-key")
    @click.option("--code", required=True)
    @click.option("--prefix", required=True, help="The key's prefix, as `keys` shows it.")
    def revoke_key(code: str, prefix: str) -> None:
        """Stop accepting one key."""
        run(lambda conn: services.revoke_key(conn, code, prefix))
        click.echo(f"key {prefix} of {code} revoked")

    @agency.command("list")
    def list_agencies() -> None:
        """Every agency: code, name, language, created, active keys by prefix."""
        rows = run(store.list_agencies)
        for row in rows:
            click.echo(agency_line(row))
        if not rows:
            click.echo("no agencies yet: `tasheel agency create --code CODE --name NAME`")

    @agency.command()
    @click.option("--code", required=True)
    def keys(code: str) -> None:
        """List an agency's keys by prefix (the keys themselves are never stored)."""
        async def listing(conn):
            found = await store.get_agency_by_code(conn, code)
            if found is None:
                raise click.ClickException(f"no agency {code}")
            return await store.list_keys(conn, found.id)

        for k in run(listing):
            status = "revoked" if k["revoked_at"] else "active"
            click.echo(f"tsk_{k['prefix']}_…  {status}  created {k['created_at']:%Y-%m-%d %H:%M}"
                       f"  last used {k['last_used_at'] or 'never'}")


def agency_line(row) -> str:
    """One agency, tab-separated; keys appear only as the prefixes `revoke-key` takes."""
    prefixes = list(row["active_prefixes"])
    count = f"{len(prefixes)} active key{'' if len(prefixes) == 1 else 's'}"
    shown = ", ".join(f"tsk_{p}_…" for p in prefixes)
    mode = "\ttest mode" if row["test_mode"] else ""
    return (f"{row['code']}\t{row['name']}\t{row['language'] or '-'}\t"
            f"created {row['created_at']:%Y-%m-%d}\t{count}{': ' + shown if shown else ''}{mode}")
