"""`tasheel purge-personal-data`: the daily purge, by hand."""

from __future__ import annotations

from datetime import UTC, datetime

import click

from delivery.platform.settings import Settings
from delivery.privacy import services


def register(main: click.Group, run) -> None:
    """Attach `purge-personal-data`; `run(fn)` calls fn(conn) on a migrated database."""

    @main.command("purge-personal-data")
    @click.option("--dry-run", is_flag=True, help="Only count the items that would be cleared.")
    def purge_personal_data(dry_run: bool) -> None:
        """Remove the personal data of items finished more than PII_RETENTION_DAYS ago (the
        worker does this daily); the items, their states and their custody chain stay."""
        days = Settings.from_env().pii_retention_days
        now = datetime.now(UTC)
        if dry_run:
            count = run(lambda conn: services.due(conn, retention_days=days, now=now))
            click.echo(f"{_items(count)} finished more than {days} days ago would be cleared")
            return
        count = run(lambda conn: services.purge(conn, retention_days=days, now=now))
        click.echo(f"{_items(count)} cleared of personal data (finished more than {days} days ago)")


def _items(count: int) -> str:
    return f"{count} item" if count == 1 else f"{count} items"
