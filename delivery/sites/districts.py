"""Districts (qadha) and mahallas per governorate, each with a representative point: the table
that places an item known only by its address words. Pure: reading the seed file, normalising
Arabic spellings and matching words; the stored table is `districts_store`'s.

Matching is by whole words after normalisation, so "حي الكرادة داخل" finds الكرادة and "Karkh
side" finds Karkh; a mahalla (a row with a parent) beats its district, a longer name a shorter.
"""

from __future__ import annotations

import csv
import functools
import re
import unicodedata
from collections.abc import Iterable, Sequence
from pathlib import Path

import msgspec

DEFAULT_PATH = Path(__file__).parent / "data" / "iraq_districts.csv"
KEY = re.compile(r"[a-z0-9_]{1,40}")

# Letters written several ways in Iraq: alef with hamza or madda, taa marbuta, alef maqsura,
# Persian/Kurdish kaf and ya, and Arabic-Indic digits; tatweel and diacritics are dropped.
_FOLD = str.maketrans({
    "أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ة": "ه", "ى": "ي", "ی": "ي", "ک": "ك",
    "ؤ": "و", "ئ": "ي", "ـ": None,
    **{chr(0x660 + d): str(d) for d in range(10)}, **{chr(0x6F0 + d): str(d) for d in range(10)},
})
_NOT_WORD = re.compile(r"[^\w]+")
# The article, in Arabic ("ال", also after و/ب) and in transliterations ("al-", "el-", "ad-"…).
_ARABIC_ARTICLE = re.compile(r"^(?:و|ب)?ال(?=\w{2,})")
_LATIN_ARTICLE = re.compile(r"^(?:al|el|a[dnrstz])-(?=\w)")
_REMEMBERED = 20_000  # texts already matched, per gazetteer


class District(msgspec.Struct, frozen=True, kw_only=True):
    """A district or mahalla of a governorate and the point that stands for it."""

    governorate: str
    key: str
    name_ar: str
    name_en: str
    name_ckb: str = ""
    lat: float
    lon: float
    parent: str | None = None  # the district a mahalla belongs to
    aliases: tuple[str, ...] = ()
    branch_code: str | None = None  # serves the district whatever the areas say

    @property
    def names(self) -> tuple[str, ...]:
        return (self.name_ar, self.name_en, self.name_ckb, *self.aliases)


def normalise(text: str) -> tuple[str, ...]:
    """The words of a place name as matching sees them: letters folded, case and article gone."""
    folded = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(ch for ch in folded if not unicodedata.combining(ch)).translate(_FOLD)
    words = []
    for word in plain.split():
        word = _LATIN_ARTICLE.sub("", word)
        words += [_ARABIC_ARTICLE.sub("", w) for w in _NOT_WORD.split(word) if w]
    return tuple(w for w in words if w)


class Gazetteer:
    """The districts of every governorate, indexed by their normalised names."""

    def __init__(self, districts: Iterable[District]) -> None:
        self.districts = tuple(districts)
        self._seen: dict[tuple[str, str], District | None] = {}
        self._names: dict[str, list[tuple[tuple[str, ...], District]]] = {}
        for d in self.districts:
            for name in {normalise(n) for n in d.names if n.strip()}:
                self._names.setdefault(d.governorate, []).append((name, d))
        for names in self._names.values():  # mahallas first, then longer names first
            names.sort(key=lambda pair: (pair[1].parent is None, -len(pair[0]), pair[1].key))

    def match(self, governorate: str, *texts: str | None) -> District | None:
        """The district or mahalla the first text that names one names, in this governorate."""
        for text in texts:
            if text and (found := self._match_text(governorate, text)):
                return found
        return None

    def _match_text(self, governorate: str, text: str) -> District | None:
        # Agencies send the same district words thousands of times a batch: remember them.
        key = (governorate, text)
        if key not in self._seen:
            if len(self._seen) >= _REMEMBERED:
                self._seen.clear()
            self._seen[key] = self._match_words(governorate, normalise(text))
        return self._seen[key]

    def _match_words(self, governorate: str, words: Sequence[str]) -> District | None:
        for name, district in self._names.get(governorate, ()):
            if _contains(words, name):
                return district
        return None


def _contains(words: Sequence[str], name: tuple[str, ...]) -> bool:
    span = len(name)
    return any(tuple(words[i:i + span]) == name for i in range(len(words) - span + 1))


@functools.cache
def seed_districts(path: Path = DEFAULT_PATH) -> tuple[District, ...]:
    """Every district in the seed file (lines starting with '#' are its notes)."""
    return parse_csv(Path(path).read_text(encoding="utf-8"))


def parse_csv(text: str) -> tuple[District, ...]:
    """Districts from CSV text (the seed file's columns); ValueError names the bad line."""
    lines = [line for line in text.splitlines() if not line.lstrip().startswith("#")]
    rows = []
    for number, row in enumerate(csv.DictReader(lines), start=2):
        try:
            rows.append(district_from_row(row))
        except (KeyError, ValueError, TypeError) as exc:
            raise ValueError(f"row {number}: {exc}") from None
    return tuple(rows)


def district_from_row(row: dict[str, str | None]) -> District:
    """One district from a CSV row; ValueError for a bad key or a point outside Iraq."""
    key = (row["key"] or "").strip()
    if not KEY.fullmatch(key):
        raise ValueError(f"key {key!r} must be 1-40 of a-z, 0-9 and '_'")
    lat, lon = float(row["lat"] or "nan"), float(row["lon"] or "nan")
    if not (29.0 <= lat <= 37.5 and 38.7 <= lon <= 48.8):
        raise ValueError(f"point {lat}, {lon} is not inside Iraq")
    aliases = tuple(a.strip() for a in (row.get("aliases") or "").split("|") if a.strip())
    return District(
        governorate=(row["governorate"] or "").strip(), key=key, name_ar=row["name_ar"] or "",
        name_en=row["name_en"] or "", name_ckb=row.get("name_ckb") or "", lat=lat, lon=lon,
        parent=(row.get("parent") or "").strip() or None, aliases=aliases,
        branch_code=(row.get("branch_code") or "").strip() or None)
