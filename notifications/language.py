"""Which language a citizen is written to, on the page and by SMS alike: one rule, one place.

The citizen's own choice (made on their page) comes first; then the agency's word for this
citizen (the document's `language`), then the agency's default for its citizens; then the region
(Sorani in the Kurdistan Region); else Arabic. A choice that is not one we write in is skipped.
"""

from __future__ import annotations

LANGUAGES = ("ar", "ckb", "en")
DEFAULT_LANGUAGE = "ar"

# Kurdistan Region governorates (ISO 3166-2:IQ), where Sorani is the usual language.
# Halabja has no ISO code yet: this project-local code stands for it.
HALABJA_LOCAL_CODE = "IQ-HAL"
KURDISTAN_GOVERNORATES = frozenset({"IQ-AR", "IQ-SU", "IQ-DA", HALABJA_LOCAL_CODE})


def citizen_language(*, chosen: str | None = None, given: str | None = None,
                     agency: str | None = None, governorate: str | None = None) -> str:
    """The language to write to a citizen in (see the module's rule)."""
    for candidate in (chosen, given, agency):
        if candidate in LANGUAGES:
            return candidate
    if (governorate or "").upper() in KURDISTAN_GOVERNORATES:
        return "ckb"
    return DEFAULT_LANGUAGE


def supported(language: str | None) -> str | None:
    """The language if we write in it, else None."""
    return language if language in LANGUAGES else None
