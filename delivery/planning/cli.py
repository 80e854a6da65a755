"""`tasheel couriers …` (profiles, days off) and `tasheel routes …` (plan, show, picture)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from delivery.planning import services, shifts, views
from delivery.planning.model import VEHICLES, local_day
from delivery.platform.settings import Settings


def _today() -> dt.date:
    return local_day(dt.datetime.now(dt.UTC))


def _day(value: str | None) -> dt.date:
    try:
        return dt.date.fromisoformat(value) if value else _today()
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date (YYYY-MM-DD)") from None


def register(main: click.Group, run) -> None:
    """Attach the `couriers` and `routes` commands; `run(fn)` calls fn(conn) on a migrated DB."""
    _register_couriers(main, run)
    _register_routes(main, run)


def _register_couriers(main: click.Group, run) -> None:
    @main.group()
    def couriers() -> None:
        """Couriers' vehicles, bags and shifts, and the days they do not work."""

    @couriers.command("set")
    @click.option("--username", required=True)
    @click.option("--vehicle", type=click.Choice(VEHICLES), required=True)
    @click.option("--capacity", type=int, required=True, help="Items the bag holds.")
    @click.option("--start", required=True, help="Usual shift start, HH:MM (Baghdad).")
    @click.option("--end", required=True, help="Usual shift end, HH:MM (Baghdad).")
    def set_profile(username: str, vehicle: str, capacity: int, start: str, end: str) -> None:
        """Set a courier's usual vehicle, bag capacity and shift."""
        profile = run(lambda conn: shifts.set_profile(conn, username=username, vehicle=vehicle,
                                                      capacity=capacity, start=start, end=end))
        click.echo(f"{profile.username}: {profile.vehicle}, {profile.capacity_items} items, "
                   f"{profile.start}-{profile.end}")

    @couriers.command("off")
    @click.option("--username", required=True)
    @click.option("--date", "day", required=True, help="YYYY-MM-DD")
    @click.option("--reason", default="sick", show_default=True)
    @click.option("--undo", is_flag=True, help="The courier works that day after all.")
    def day_off(username: str, day: str, reason: str, undo: bool) -> None:
        """Mark a courier off for a day (re-plan the branch afterwards)."""
        when = _day(day)
        if undo:
            run(lambda conn: shifts.clear_day(conn, username=username, day=when))
            click.echo(f"{username} works as usual on {when.isoformat()}")
            return
        run(lambda conn: shifts.set_day(conn, username=username, day=when, off=True,
                                        reason=reason))
        click.echo(f"{username} is off on {when.isoformat()} ({reason})")

    @couriers.command("hours")
    @click.option("--username", required=True)
    @click.option("--date", "day", required=True, help="YYYY-MM-DD")
    @click.option("--start", required=True)
    @click.option("--end", required=True)
    @click.option("--capacity", type=int, default=None)
    @click.option("--vehicle", type=click.Choice(VEHICLES), default=None)
    def day_hours(username: str, day: str, start: str, end: str, capacity: int | None,
                  vehicle: str | None) -> None:
        """Other hours (and bag or vehicle) than usual for one day."""
        when = _day(day)
        run(lambda conn: shifts.set_day(conn, username=username, day=when, off=False,
                                        start=start, end=end, capacity=capacity,
                                        vehicle=vehicle))
        click.echo(f"{username} works {start}-{end} on {when.isoformat()}")


def _register_routes(main: click.Group, run) -> None:
    @main.group()
    def routes() -> None:
        """Daily courier route plans per branch."""

    @routes.command("plan")
    @click.option("--branch", required=True, help="Branch code, e.g. BG-002.")
    @click.option("--date", "day", default=None, help="YYYY-MM-DD (default: today, Baghdad).")
    @click.option("--seconds", type=float, default=None, help="Solver time (ROUTE_PLAN_SECONDS).")
    @click.option("--force", is_flag=True, help="A new version even if nothing changed.")
    def plan(branch: str, day: str | None, seconds: float | None, force: bool) -> None:
        """Plan (or re-plan) a branch's day; couriers whose route changes are told."""
        settings = Settings.from_env()
        outcome = run(lambda conn: services.plan_branch_day(
            conn, settings, branch, _day(day), trigger="cli", max_runtime_s=seconds,
            force=force))
        click.echo(_summary(outcome))
        if outcome.day_plan is not None:
            for item_id, reason in sorted(outcome.day_plan.left_out.items()):
                click.echo(f"  left out: item {item_id} ({reason})")

    @routes.command("show")
    @click.option("--branch", required=True)
    @click.option("--date", "day", default=None, help="YYYY-MM-DD (default: today, Baghdad).")
    @click.option("--svg", "svg_path", type=click.Path(dir_okay=False, path_type=Path),
                  default=None, help="Also write the picture to this file.")
    def show(branch: str, day: str | None, svg_path: Path | None) -> None:
        """Print the plan in force: couriers, stops and left-out items."""
        when = _day(day)

        async def both(conn):
            return (await views.branch_plan(conn, branch, when),
                    await views.branch_plan_svg(conn, branch, when) if svg_path else None)

        plan, svg = run(both)
        click.echo(f"{plan.branch} {plan.date} version {plan.version} ({plan.travel_source}): "
                   f"{plan.items_routed} items routed, {plan.items_left_out} left out")
        for c in plan.couriers:
            click.echo(f"  {c.username} ({c.vehicle}): {len(c.stops)} stops, "
                       f"{c.distance_m / 1000:.1f} km, {c.duration_s // 60} min")
        for r in plan.left_out:
            click.echo(f"  left out: {r.tracking_number} ({r.reason})")
        if svg_path and svg:
            svg_path.write_text(svg, encoding="utf-8")
            click.echo(f"picture written to {svg_path}")


def _summary(outcome: services.PlanOutcome) -> str:
    head = f"{outcome.branch} {outcome.day.isoformat()}: {outcome.status}"
    if outcome.status != services.PLANNED:
        return head + (f" (version {outcome.version})" if outcome.version else "")
    return (f"{head}, version {outcome.version} ({outcome.travel_source}): "
            f"{outcome.items_routed} items routed, {outcome.items_left_out} left out, "
            f"{outcome.total_distance_m / 1000:.1f} km; "
            f"{len(outcome.notified)} couriers told of changes")
