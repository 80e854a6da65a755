"""`tasheel districts …`: the districts and mahallas of each governorate and their points."""

from __future__ import annotations

from typing import Any

import asyncpg
import click
import msgspec

from delivery.sites import district_book
from delivery.sites.districts import District, district_from_row, parse_csv
from delivery.sites.geo import governorate_codes


def register(main: click.Group, run) -> None:
    """Attach `districts list|set|import`; `run(fn)` calls fn(conn) on a migrated database."""

    @main.group()
    def districts() -> None:
        """Districts and mahallas per governorate: where an item known by words is placed."""

    @districts.command("list")
    @click.option("--governorate", help="Only this governorate (e.g. IQ-BG).")
    def list_districts(governorate: str | None) -> None:
        """Each district: governorate, key, names, point, parent, branch override."""
        for d in run(lambda conn: district_book.list_districts(conn, governorate)):
            click.echo("\t".join([d.governorate, d.key, d.name_ar, d.name_en, f"{d.lat:.4f}",
                                  f"{d.lon:.4f}", d.parent or "-", d.branch_code or "-",
                                  "|".join(d.aliases)]))

    @districts.command("set")
    @click.argument("governorate")
    @click.argument("key")
    @click.option("--name-ar")
    @click.option("--name-en")
    @click.option("--name-ckb")
    @click.option("--lat", type=float)
    @click.option("--lon", type=float)
    @click.option("--parent", help="The district a mahalla belongs to (its key).")
    @click.option("--alias", "aliases", multiple=True, help="Another spelling (repeatable).")
    @click.option("--branch", help="A branch that serves it whatever the areas say.")
    def set_district(governorate: str, key: str, **changes: Any) -> None:
        """Add a district or mahalla, or change one (only the options given)."""
        async def change(conn) -> District:
            known = await district_book.get_district(conn, governorate, key)
            district = _changed(governorate, key, known, changes)
            await district_book.save(conn, [district])
            return district

        d = _saving(run, change)
        click.echo(f"{d.governorate} {d.key}: {d.name_ar} / {d.name_en} at {d.lat}, {d.lon}")

    @districts.command("import")
    @click.argument("file", type=click.File("r", encoding="utf-8"))
    def import_districts(file: Any) -> None:
        """Add or replace districts from a CSV file with the columns of the seed file."""
        try:
            rows = parse_csv(file.read())
        except ValueError as exc:
            raise click.ClickException(str(exc)) from None
        if unknown := sorted({d.governorate for d in rows} - governorate_codes()):
            raise click.ClickException(f"unknown governorate {unknown[0]}")
        _saving(run, lambda conn: district_book.save(conn, rows))
        click.echo(f"{len(rows)} districts imported")


def _saving(run, work) -> Any:
    try:
        return run(work)
    except asyncpg.ForeignKeyViolationError as exc:  # a parent not (yet) in the table
        raise click.ClickException(f"no such parent district: {exc.detail}") from None


def _changed(governorate: str, key: str, known: District | None,
             changes: dict[str, Any]) -> District:
    if governorate not in governorate_codes():
        raise click.ClickException(f"unknown governorate {governorate}")
    given = {k: v for k, v in changes.items() if v not in (None, ())}
    row = {**(msgspec.to_builtins(known) if known else {}), **given,
           "governorate": governorate, "key": key, "branch_code": given.pop("branch", None) or
           (known.branch_code if known else None)}
    row["aliases"] = "|".join(row.get("aliases") or ())
    if missing := [f for f in ("name_ar", "name_en", "lat", "lon") if row.get(f) is None]:
        raise click.ClickException(f"a new district needs --{missing[0].replace('_', '-')}")
    try:
        return district_from_row({k: None if v is None else str(v) for k, v in row.items()})
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
