"""`tasheel verify-custody`: recompute every custody chain and report any break."""

from __future__ import annotations

import sys

import click

from delivery.custody import chain, log


async def find_breaks(conn, tracking_number: str | None) -> list[chain.ChainBreak]:
    """The first break of each item's chain (one item, or all of them)."""
    item_id = None
    if tracking_number is not None:
        item_id = await conn.fetchval("SELECT id FROM items WHERE tracking_number = $1",
                                      tracking_number.strip().upper())
        if item_id is None:
            raise click.ClickException(f"no item {tracking_number}")
    events = await log.load_chain(conn, item_id)
    breaks = chain.verify_chain(events)
    names = dict(await conn.fetch("SELECT id::text, tracking_number FROM items WHERE id = "
                                  "ANY($1::bigint[])", [int(b.item_id) for b in breaks]))
    return [chain.ChainBreak(item_id=names.get(b.item_id, b.item_id), seq=b.seq, kind=b.kind,
                             detail=b.detail) for b in breaks]


def register(main: click.Group, run) -> None:
    """Attach `verify-custody`; `run(fn)` calls fn(conn) on a migrated database."""

    @main.command("verify-custody")
    @click.option("--item", "tracking_number", default=None, help="Only this tracking number.")
    def verify_custody(tracking_number: str | None) -> None:
        """Recompute the hash chains of the custody log; exit 1 on any break."""
        breaks = run(lambda conn: find_breaks(conn, tracking_number))
        for b in breaks:
            click.echo(f"BROKEN {b.item_id} at event {b.seq}: {b.kind} ({b.detail})")
        if breaks:
            sys.exit(1)
        click.echo("custody chains intact")
