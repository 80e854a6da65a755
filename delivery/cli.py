"""`tasheel`: the one command line of the service."""

from __future__ import annotations

import gc
import signal
import sys
from collections.abc import Awaitable, Callable
from typing import Any

import click
import uvloop

from delivery.platform import db, logs, runtime
from delivery.platform.settings import Settings


def _settings() -> Settings:
    """The settings; one that would fail later is refused now, by its name."""
    try:
        return Settings.from_env()
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None


def _run_with_servers(work: Callable[[Settings], Awaitable[Any]],
                      settings: Settings | None = None) -> Any:
    """Run `work` with database and Redis available (embedded ones if none are configured)."""
    settings = settings or _settings()
    logs.configure(settings.log_level)
    with runtime.servers(settings) as ready:
        # libuv's loop: the same asyncio, with a fraction of the per-request overhead.
        return uvloop.run(work(ready))


async def _with_conn(settings: Settings, work: Callable[[Any], Awaitable[Any]]) -> Any:
    conn = await db.connect(settings.database_url or "")
    try:
        return await work(conn)
    finally:
        await conn.close()


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Tasheel: documents from government agencies to citizens, through the post.

    Without DATABASE_URL / REDIS_URL every command uses embedded PostgreSQL and Redis kept in
    ./.data (started when needed, stopped by the command that started them).

    Start here: `tasheel serve`, then open the printed /schema URL.
    """


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=8000, show_default=True, type=int, help="Port to listen on.")
@click.option("--no-worker", is_flag=True, help="Run the API only (workers run elsewhere).")
def serve(host: str, port: int, no_worker: bool) -> None:
    """Migrate, seed demo data on an empty database, then run the API and a worker."""
    from delivery.serve import serve as run

    settings = _settings()  # before anything starts
    _ignore_signals_until_handled()
    _run_with_servers(lambda s: run(s, host=host, port=port, with_worker=not no_worker), settings)


@main.command()
def worker() -> None:
    """Run a background worker (SMS, webhooks, schedules) until stopped."""
    from delivery.worker import build_worker

    async def work(settings: Settings) -> None:
        worker = build_worker(settings)
        gc.freeze()  # what startup built stays out of full collections (see delivery.serve)
        await worker.async_run()

    _run_with_servers(work)


@main.command()
def migrate() -> None:
    """Apply pending database migrations (safe to run from several processes at once)."""
    from delivery.platform.migrate import migrate as apply

    async def work(settings: Settings) -> None:
        done = await _with_conn(settings, apply)
        click.echo("\n".join(f"applied {name}" for name in done) or "database is up to date")

    _run_with_servers(work)


@main.command("seed-demo")
@click.option("--password", default=None,
              help="Give every demo staff account this password (default: a random one each).")
def seed_demo(password: str | None) -> None:
    """Load reference data and the demo world and day: branches, agency, staff of every role,
    documents in every state, today's route, a complaint (only into an empty database)."""
    from delivery.demo.seed import seed_if_empty
    from delivery.demo.walk import render_walk
    from delivery.platform.migrate import migrate as apply
    from delivery.staff.model import password_problem

    if password is not None and (problem := password_problem(password)):
        raise click.BadParameter(problem, param_hint="--password")

    async def work(settings: Settings) -> None:
        async def both(conn: Any) -> Any:
            await apply(conn)
            return await seed_if_empty(conn, settings, password=password)

        demo = await _with_conn(settings, both)
        click.echo(render_walk(demo, settings.public_base_url) if demo is not None
                   else "database already has data; nothing seeded")

    _run_with_servers(work)


def _run_db(work: Callable[[Any], Awaitable[Any]]) -> Any:
    """Run `work(conn)` on a migrated database; domain errors become a clean CLI error."""
    from delivery.platform.errors import DomainError
    from delivery.platform.migrate import migrate as apply

    async def both(conn: Any) -> Any:
        await apply(conn)
        return await work(conn)

    try:
        return _run_with_servers(lambda s: _with_conn(s, both))
    except DomainError as exc:
        raise click.ClickException(exc.detail) from None


@main.group()
def areas() -> None:
    """Branch service areas."""


@areas.command("import")
@click.argument("file", type=click.File("r", encoding="utf-8"))
def import_areas(file: Any) -> None:
    """Import service areas from a GeoJSON FeatureCollection (properties.branch_code)."""
    from delivery.sites.services import import_areas as run_import

    result = _run_db(lambda conn: run_import(conn, file.read()))
    click.echo(f"{len(result.accepted)} areas imported, {len(result.repaired)} repaired, "
               f"{len(result.refused)} refused")
    for r in result.repaired:
        click.echo(f"  repaired {r.branch_code} (feature {r.index}): area changed "
                   f"{r.area_change_pct:.2f} %")
    for r in result.refused:
        click.echo(f"  refused {r.pointer}: {r.reason}")
    for o in result.overlaps:
        click.echo(f"  overlap {o.branch_a} / {o.branch_b}: {o.area_km2:.2f} km²")
    if result.refused:
        sys.exit(1)


def _register_feature_commands() -> None:
    from delivery.agencies import cli as agency_cli

    agency_cli.register(main, _run_db)
    from delivery.staff import cli as staff_cli

    staff_cli.register(main, _run_db)
    from delivery.custody import cli as custody_cli

    custody_cli.register(main, _run_db)
    from delivery.messaging import cli as messaging_cli

    messaging_cli.register(main, _run_db)
    from delivery.planning import cli as planning_cli

    planning_cli.register(main, _run_db)
    from delivery.privacy import cli as privacy_cli

    privacy_cli.register(main, _run_db)
    from delivery.sites import cli as sites_cli

    sites_cli.register(main, _run_db)


def _ignore_signals_until_handled() -> None:
    """Turn SIGTERM into a clean shutdown instead of an abrupt exit.

    The server installs its own handlers while it runs and re-raises the signal afterwards;
    with a Python handler in place that re-raise is harmless and the embedded servers get stopped.
    """
    def note(signum: int, frame: Any) -> None:
        return None

    signal.signal(signal.SIGTERM, note)
    signal.signal(signal.SIGINT, note)


_register_feature_commands()

if __name__ == "__main__":
    sys.exit(main())
