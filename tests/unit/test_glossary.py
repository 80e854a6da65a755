"""Every Arabic and Sorani text a citizen reads follows notifications/GLOSSARY.md: its terms, its
polite forms, its way of writing times."""

import re
from pathlib import Path

import pytest

from delivery.tracking import i18n
from notifications import render

TEMPLATES = Path(render.__file__).parent / "templates"
GLOSSARY = Path(render.__file__).parent / "GLOSSARY.md"

# Words or forms the glossary says not to use, as patterns over whole words.
NOT = {
    "ar": {
        "a courier called otherwise": r"مندوب|ساعي",
        "a bare imperative instead of يرجى": r"(?<!\S)(أحضر|اختر|راجع|أعطه|أرسل)(?!\S)",
        "a time range with a dash": r"\d{1,2}:\d{2}\s*[-–]\s*\d{1,2}:\d{2}",
    },
    "ckb": {
        "a courier called otherwise": r"گەیەنەر",
        "the issuing office called otherwise": r"فەرمانگەی دەرکەر|دەزگای دەرچوێنەر",
        "the singular instead of the plural of respect": (
            r"(?<!\S)(بهێنە|بڵێ|بیدە|هەڵبژێرە|بکە)(?!\S)|\S+ەکەت(?!ان)(?!\S)"),
        "a time range with a dash": r"\d{1,2}:\d{2}\s*[-–]\s*\d{1,2}:\d{2}",
    },
}


def _texts(language: str) -> list[tuple[str, str]]:
    """(where, text) of every citizen-facing text in the language."""
    texts = [(str(path.relative_to(TEMPLATES)), path.read_text())
             for path in sorted((TEMPLATES / language).glob("*.j2"))]
    texts += [(f"DOCUMENT_WORDS[{k}]", v) for k, v in render.DOCUMENT_WORDS[language].items()]
    texts += [(f"REASON_WORDS[{k}]", v) for k, v in render.REASON_WORDS[language].items()]
    column = i18n.LANGUAGES.index(language)
    for table in ("WORDS", "STATES", "EVENTS"):
        texts += [(f"i18n.{table}[{k}]", v[column]) for k, v in getattr(i18n, table).items()]
    return texts


@pytest.mark.parametrize("language", ["ar", "ckb"])
def test_no_text_uses_a_form_the_glossary_refuses(language):
    found = [(where, why, text) for where, text in _texts(language)
             for why, pattern in NOT[language].items() if re.search(pattern, text)]
    assert found == []


def test_the_glossary_names_every_term_the_issue_asks_for():
    glossary = GLOSSARY.read_text()
    for term in ("courier", "branch", "pickup", "home delivery", "issuing office",
                 "one-time code", "يرجى", "تکایە", "بين 10:00 و13:00"):
        assert term in glossary
