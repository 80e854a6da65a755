"""`tasheel verify-custody` and `tasheel anchors`: check the custody log, anchor its days."""

from __future__ import annotations

import sys
from datetime import UTC, date, datetime, timedelta

import click

from delivery.custody import anchors, chain, store, verify
from delivery.platform.settings import Settings, anchor_signing_key


async def find_breaks(conn, tracking_number: str | None) -> list[chain.ChainBreak]:
    """Every break of the stored log, named by tracking number (one item, or all of them)."""
    return (await check(conn, tracking_number)).breaks


async def check(conn, tracking_number: str | None, *,
                public_keys: frozenset[str] | None = None) -> verify.Report:
    """The log's breaks; with `public_keys` (this server's, hex: see `trusted_keys`), the stored
    anchors' too."""
    if tracking_number is not None:
        tracking_number = tracking_number.strip().upper()
        if await store.scan_item(conn, tracking_number) is None:
            raise click.ClickException(f"no item {tracking_number}")
    stored = await anchors.every_anchor(conn) if public_keys is not None else None
    return await verify.verify(conn, tracking_number=tracking_number, with_anchors=stored,
                               public_keys=public_keys)


def trusted_keys(settings: Settings) -> frozenset[str]:
    """The public keys (hex) whose anchors this server vouches for: its signing key's, and
    those of the keys it signed with before a rotation (ANCHOR_EARLIER_KEYS)."""
    return frozenset({anchors.public_key_of(anchor_signing_key(settings)),
                      *settings.anchor_earlier_keys})


def _print(report: verify.Report, public_keys: frozenset[str] | None) -> bool:
    """Print the report; whether anything is broken."""
    for b in report.breaks:
        click.echo(f"BROKEN {b.item_id} at event {b.seq}: {b.kind} ({b.detail})")
    for a in report.anchors:
        click.echo(f"BROKEN anchor {a.day}: {a.detail}")
    click.echo(f"{report.items} items checked")
    if report.anchors_checked:
        click.echo(f"{report.anchors_checked} anchors checked against the log "
                   f"(this server's public keys: {', '.join(sorted(public_keys or ()))})")
    return bool(report.breaks or report.anchors)


def register(main: click.Group, run) -> None:
    """Attach `verify-custody` and `anchors`; `run(fn)` calls fn(conn) on a migrated
    database."""

    @main.command("verify-custody")
    @click.option("--item", "tracking_number", default=None, help="Only this tracking number.")
    @click.option("--anchors", "with_anchors", is_flag=True,
                  help="Also recompute every stored daily anchor from the log.")
    def verify_custody(tracking_number: str | None, with_anchors: bool) -> None:
        """Recompute the hash chains of the custody log and compare each item's recorded head
        and state with its last event; exit 1 on any break."""
        if with_anchors and tracking_number is not None:
            raise click.UsageError("--anchors checks whole days: leave out --item")
        keys = trusted_keys(Settings.from_env()) if with_anchors else None
        report = run(lambda conn: check(conn, tracking_number, public_keys=keys))
        if _print(report, keys):
            sys.exit(1)
        click.echo("custody chains intact")

    @main.group("anchors")
    def anchors_group() -> None:
        """Daily signed Merkle roots over the custody chain heads."""

    @anchors_group.command("make")
    @click.option("--date", "day", type=click.DateTime(["%Y-%m-%d"]), default=None,
                  help="The Asia/Baghdad day (default: yesterday).")
    def make(day: datetime | None) -> None:
        """Make (once) and send the anchor of a day that has ended."""
        now = datetime.now(UTC)
        wanted: date = day.date() if day else anchors.local_day(now) - timedelta(days=1)
        key = anchor_signing_key(Settings.from_env())
        anchor = run(lambda conn: anchors.make_anchor(conn, key, wanted, now=now))
        click.echo(f"{anchor.day} count={anchor.count} root={anchor.root}")
        click.echo(f"signature={anchor.signature} public_key={anchor.public_key}")
