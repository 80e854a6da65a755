"""The edge's rules for input, as rules: what a JSON body or a text may not carry."""

import pytest

from delivery.platform.errors import InvalidInput, MalformedRequest
from delivery.platform.inputs import (
    MAX_DEPTH,
    check_int,
    check_moment,
    clean_text,
    faults_by_item,
    inspect_json,
)


def _faults(body: bytes) -> list[str]:
    return [f.field for f in inspect_json(body)[1]]


def test_an_ordinary_body_passes_unchanged():
    body = b'{"a": [1, 2.5, "x\\ty"], "b": {"c": null}}'
    assert inspect_json(body) == (body, [])


def test_each_fault_is_named_by_its_pointer():
    body = b'{"a": [1, 99999999999999999999999], "b": "x\\u0000", "c": {"d": 1, "d": 2}}'
    assert _faults(body) == ["/a/1", "/b", "/c/d"]


def test_an_escaped_backslash_before_u0000_is_text_not_a_nul():
    assert _faults(b'{"a": "\\\\u0000"}') == []


def test_bidi_controls_are_removed_and_the_right_to_left_mark_kept():
    body, faults = inspect_json('{"a": "\u202eabc\u202c \u2067d\u2069 7\u200f"}'.encode())
    assert (body.decode(), faults) == ('{"a":"abc d 7\u200f"}', [])


TOO_DEEP = b"[" * (MAX_DEPTH + 1) + b"]" * (MAX_DEPTH + 1)


@pytest.mark.parametrize("body", [b"\xff{}", b"[NaN]", b"[1e400", TOO_DEEP])
def test_what_is_no_json_this_service_reads_is_malformed(body):
    with pytest.raises(MalformedRequest):
        inspect_json(body)


def test_a_number_too_large_for_a_double_is_a_fault():
    assert _faults(b"[1e400]") == ["/0"]


def test_control_characters_are_refused_but_tab_and_newlines_are_text():
    assert clean_text("a\tb\r\nc", "f") == "a\tb\r\nc"
    with pytest.raises(InvalidInput) as refused:
        clean_text("a\x85", "query:f")
    assert refused.value.errors[0].field == "query:f"


def test_integers_and_times_must_fit_what_postgresql_stores():
    from datetime import date, datetime

    check_int(2**63 - 1, "f")
    with pytest.raises(InvalidInput):
        check_int(2**63, "f")
    with pytest.raises(InvalidInput):
        check_moment(datetime.fromisoformat("9999-12-31T23:59:59-23:59"), "f")
    with pytest.raises(InvalidInput):
        check_moment(date(1, 1, 1), "f")
    check_moment(datetime.fromisoformat("2026-12-07T10:00:00+03:00"), "f")


def test_faults_are_grouped_by_item_and_one_outside_every_item_refuses_the_body():
    from delivery.platform.errors import FieldError

    inside = [FieldError(field="/scans/2/note", message="m"), FieldError(field="/scans/0/at",
                                                                         message="m")]
    assert sorted(faults_by_item(inside, "/scans")) == [0, 2]
    with pytest.raises(InvalidInput):
        faults_by_item([*inside, FieldError(field="/other", message="m")], "/scans")
