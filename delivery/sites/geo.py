"""Iraq's governorates as reference data, read from `delivery/sites/data/iraq_governorates.csv`."""

from __future__ import annotations

import csv
import functools
from pathlib import Path

import msgspec

DEFAULT_PATH = Path(__file__).parent / "data" / "iraq_governorates.csv"

# Halabja became a governorate in 2014 and has no ISO 3166-2:IQ code yet. `IQ-HAL` is this
# project's own code for it: three letters, so no future two-letter ISO code can collide with it.
HALABJA_CODE = "IQ-HAL"

# The governorates of the Kurdistan Region (ISO `IQ-KR`), where Sorani is the usual SMS language.
KURDISTAN_REGION = frozenset({"IQ-AR", "IQ-SU", "IQ-DA", HALABJA_CODE})


class Governorate(msgspec.Struct, frozen=True, kw_only=True):
    """A governorate with its names, capital and the capital's coordinates."""

    code: str
    name_en: str
    name_ar: str
    name_ku: str
    capital: str
    lat: float
    lon: float
    iso: bool = True  # False for a project-local code (Halabja)

    @property
    def in_kurdistan_region(self) -> bool:
        return self.code in KURDISTAN_REGION


@functools.cache
def load_governorates(path: Path = DEFAULT_PATH) -> tuple[Governorate, ...]:
    """Every governorate in the file, Halabja under its project-local code."""
    with Path(path).open(encoding="utf-8", newline="") as handle:
        return tuple(_governorate(row) for row in csv.DictReader(handle))


def governorate_codes(path: Path = DEFAULT_PATH) -> frozenset[str]:
    """The codes an agency may send as `delivery.governorate`."""
    return frozenset(g.code for g in load_governorates(path))


def _governorate(row: dict[str, str]) -> Governorate:
    iso_code = row["iso_code"].strip()
    if not iso_code and row["name_en"].strip() != "Halabja":
        raise ValueError(f"governorate {row['name_en']!r} has no code")
    return Governorate(
        code=iso_code or HALABJA_CODE, name_en=row["name_en"], name_ar=row["name_ar"],
        name_ku=row["name_ku"], capital=row["capital_en"], lat=float(row["lat"]),
        lon=float(row["lon"]), iso=bool(iso_code),
    )
