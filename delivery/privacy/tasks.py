"""The daily purge of personal data (PII_RETENTION_DAYS). Safe on many workers: each batch
claims its items with `FOR UPDATE SKIP LOCKED`, and arq starts a cron run once."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from arq.cron import cron

from delivery.privacy import services


async def purge_personal_data_job(ctx: dict[str, Any]) -> int:
    """arq cron job: remove the personal data of items finished long enough ago; how many."""
    async with ctx["pool"].acquire() as conn:
        return await services.purge(conn, retention_days=ctx["settings"].pii_retention_days,
                                    now=datetime.now(UTC))


# Once a day, at night in Baghdad (UTC+3) when few scans come in.
CRON_JOBS = [cron(purge_personal_data_job, hour={0}, minute={41}, second=11, unique=True,
                  run_at_startup=False, timeout=3600)]
