"""The page's Arabic and Sorani words follow notifications/GLOSSARY.md."""

import re

import pytest

from delivery.tracking import i18n

TEXTS = {f"{table}.{key}": entry for table, words in (
    ("WORDS", i18n.WORDS), ("STATES", i18n.STATES), ("EVENTS", i18n.EVENTS),
    ("NEXT", i18n.NEXT))
    for key, entry in words.items()}
ARABIC = {key: entry[0] for key, entry in TEXTS.items()}
SORANI = {key: entry[1] for key, entry in TEXTS.items()}

# The glossary's "not" column.
NOT_ARABIC = ("مندوب", "ساعي", "مكتب البريد")
NOT_SORANI = ("گەیەنەر", "فەرمانگەی دەرکەر", "دەزگای دەرچوێنەر")
# Bare imperatives: the glossary asks with يرجى and a verbal noun.
ARABIC_IMPERATIVES = re.compile(
    r"(?<!\w)(أحضر|اختر|راجع|تحقق|حاول|أعد|احفظ|املأ|افتح|استخدم)(?!\w)")
# The singular "you" (-ت for "your", singular imperatives); citizens get the plural of respect.
SORANI_SINGULAR = re.compile(
    r"(?:کەت|مەکەت|خۆت|لات|ەکانت|ڕادەستت|بهێنە|بڵێ|هەڵبژێرە|بدەرەوە|بکەرەوە|بکە|وەرتگرت|"
    r"دەتەوێت|هەڵت|بیپشکنە|بپشکنە|نووسیت|لێکردیت|پەیوەندیت)(?!\w)")


@pytest.mark.parametrize("key", sorted(TEXTS))
def test_no_word_the_glossary_refuses(key):
    assert not any(w in ARABIC[key] for w in NOT_ARABIC), ARABIC[key]
    assert not any(w in SORANI[key] for w in NOT_SORANI), SORANI[key]


@pytest.mark.parametrize("key", sorted(TEXTS))
def test_arabic_asks_politely(key):
    assert not ARABIC_IMPERATIVES.search(ARABIC[key]), ARABIC[key]


@pytest.mark.parametrize("key", sorted(TEXTS))
def test_sorani_speaks_in_the_plural_of_respect(key):
    assert not SORANI_SINGULAR.search(SORANI[key]), SORANI[key]


@pytest.mark.parametrize(("language", "expected"), [
    ("ar", "صباحاً، بين ٠٨:٠٠ و١٢:٠٠"),
    ("ckb", "بەیانی، لە نێوان ٠٨:٠٠ و ١٢:٠٠"),
    ("en", "Morning, between 08:00 and 12:00"),
])
def test_a_time_window_is_a_range_in_words(language, expected):
    assert i18n.window_phrase(language, "morning", "08:00", "12:00") == expected
