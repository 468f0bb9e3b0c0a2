"""The fast canonical JSON (shared/eventstore/hashing.py) is RFC 8785 byte for byte: equal to
the rfc8785 package's output for every value, or failing where it fails. Stored hashes depend
on it, so the values range over more than events hold: floats, every code point (lone
surrogates included), keys beyond U+FFFF next to keys in U+E000..U+FFFF (where UTF-16 order
and code point order part), integers on both sides of 2**53, tuples and non-string keys.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
import rfc8785
from hypothesis import example, given, settings
from hypothesis import strategies as st

from shared.eventstore.errors import InvalidEventError
from shared.eventstore.hashing import (
    _check_with_paths,
    _plain,
    canonical_document,
    canonical_json,
    canonical_text,
    check_storable,
    reference_document,
)

LIMIT = 2**53
any_text = st.text(st.characters(), max_size=10)
# Keys that sort differently by UTF-16 code units than by code points, and plain ones.
tricky_keys = st.sampled_from(["\U0001f600", "\uffee", "\ue000", "a", "", "\U00010000b", "é"])
keys = any_text | tricky_keys
scalars = (
    st.none()
    | st.booleans()
    | st.integers(-LIMIT - 2, LIMIT + 2)
    | st.integers(-(2**60), 2**60)
    | st.floats(allow_nan=True, allow_infinity=True)
    | any_text
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.tuples(inner, inner)
        | st.dictionaries(keys, inner, max_size=4)
        | st.dictionaries(st.integers(0, 3), inner, min_size=1, max_size=2)
    ),
    max_leaves=12,
)
# What events hold: string keys, no floats (the fast path's own domain), any text.
event_values = st.recursive(
    st.none() | st.booleans() | st.integers(-LIMIT + 1, LIMIT - 1) | any_text,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=4),
    max_leaves=12,
)


def outcome(function: Any, value: Any) -> tuple[str, Any]:
    try:
        return "ok", function(value)
    except (ValueError, TypeError) as error:  # rfc8785's errors are ValueErrors
        return "error", type(error).__name__


@settings(max_examples=1500)
@given(values)
@example({"\U0001f600": 1, "\uffee": 2})
@example({"a": 1.0, "b": -0.0, "c": 1e21, "d": 5e-324})
@example(['\x00\x1f\x7f"\\\b\f\n\r\t\u2028\u2029/'])
@example("\ud800")
@example({"k": 2**53})
@example({"k": -(2**53) + 1})
def test_canonical_json_is_the_reference_byte_for_byte(value: Any) -> None:
    expected = outcome(rfc8785.dumps, value)
    got = outcome(canonical_json, value)
    if expected[0] == "ok":
        assert got == expected
    else:
        assert got[0] == "error"


@settings(max_examples=1000)
@given(event_values)
def test_on_event_shaped_values_the_fast_text_is_the_reference_and_plain_json(value: Any) -> None:
    expected = outcome(rfc8785.dumps, value)
    got = outcome(canonical_text, value)
    if expected[0] == "error":  # a lone surrogate: refused by both
        assert got[0] == "error"
        return
    text, fast = got[1]
    assert text.encode("utf-8") == expected[1]
    if fast:  # the stored JSON text: what json gives, so JSONB stores the same value
        assert json.loads(text) == json.loads(expected[1])


documents = st.fixed_dictionaries(
    {
        "position": st.integers(1, LIMIT - 1),
        "event_id": st.uuids(),
        "stream_id": any_text.filter(lambda t: t == t.encode("utf-8", "replace").decode()),
        "stream_type": st.sampled_from(["document", "meeting", "member_state", "é\U0001f600"]),
        "version": st.integers(1, 2**31 - 1),
        "event_type": st.sampled_from(["DraftCreated", "X", "Ünïcode"]),
        "schema_version": st.integers(1, 32767),
        "data": st.dictionaries(keys, values, max_size=4),
        "metadata": st.dictionaries(keys, event_values, max_size=3),
        "recorded_at": st.datetimes(
            min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
        ),
    }
)


@settings(max_examples=1000)
@given(documents)
@example(
    {
        "position": 1,
        "event_id": uuid.UUID(int=0),
        "stream_id": "s",
        "stream_type": "t",
        "version": 1,
        "event_type": "E",
        "schema_version": 1,
        "data": {"\U0001f600": 1.5, "\uffee": [0.1, 1e-7, 1e21]},
        "metadata": {},
        "recorded_at": datetime(2026, 11, 27, tzinfo=UTC),
    }
)
def test_canonical_document_is_the_reference_byte_for_byte(fields: dict[str, Any]) -> None:
    expected = outcome(lambda f: reference_document(**f), fields)
    got = outcome(lambda f: canonical_document(**f), fields)
    if expected[0] == "ok":
        assert got == expected
    else:
        assert got[0] == "error"


@settings(max_examples=1000)
@given(values | st.dictionaries(keys, values, max_size=4))
@example({"a": "\x00"})
@example({"a": [float("nan")]})
@example({"\ud800": 1})
def test_the_storable_check_refuses_as_before_and_knows_the_fast_path(value: Any) -> None:
    """`check_storable` (one walk, no paths) refuses exactly what the path-naming walk refuses,
    with its message, and says `plain` exactly when the fast encoder is JCS for the value."""
    try:
        _check_with_paths(value, "data")
    except InvalidEventError as error:
        with pytest.raises(InvalidEventError) as raised:
            check_storable(value, "data")
        assert str(raised.value) == str(error)
        return
    assert check_storable(value, "data") is _plain(value)
