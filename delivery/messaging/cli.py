"""`tasheel outbox …`: the dead letters, and sending one again by hand."""

from __future__ import annotations

import click

from delivery.messaging import services


def register(main: click.Group, run) -> None:
    """Attach the `outbox` commands; `run(fn)` calls fn(conn) with servers available."""

    @main.group()
    def outbox() -> None:
        """SMS and webhooks waiting in the outbox."""

    @outbox.command()
    @click.option("--limit", default=100, show_default=True, type=click.IntRange(1, 10_000))
    def dead(limit: int) -> None:
        """List rows that stopped: out of retries (dead) or refused for good (failed)."""
        rows = run(lambda conn: services.dead_letters(conn, limit=limit))
        for r in rows:
            sms = f" sms={r.sms_status}" if r.sms_status else ""
            click.echo(f"{r.id}\t{r.status}\t{r.channel}/{r.topic}\t{r.tracking_number or '-'}"
                       f"\tattempts={r.attempts}{sms}\t{r.updated_at:%Y-%m-%d %H:%M}"
                       f"\t{r.last_error or ''}")
        if not rows:
            click.echo("no dead letters")

    @outbox.command()
    @click.argument("outbox_id", type=int)
    def retry(outbox_id: int) -> None:
        """Send a dead or failed row again, with a fresh retry budget."""
        run(lambda conn: services.retry_dead_letter(conn, outbox_id))
        click.echo(f"outbox row {outbox_id} is pending again")
