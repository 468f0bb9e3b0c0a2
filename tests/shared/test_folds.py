"""`Folds`: what commands fold their streams to, kept between commands, folded on only with
the events that follow, and never handed out to be changed under the next command."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

import pytest

from shared.commands import Folds, History
from shared.eventstore import DomainEvent

AT = datetime(2022, 10, 12, tzinfo=UTC)


class Noted(DomainEvent):
    n: int


class Counting:
    """A fold to a list of the events' numbers, in place as a domain's fold is, counting the
    events it is given; an event numbered 0 is one it refuses, midway."""

    def __init__(self) -> None:
        self.folded: list[int] = []

    def __call__(
        self, state: list[int] | None, events: Iterable[tuple[DomainEvent, datetime]]
    ) -> list[int] | None:
        given = [event.n for event, _ in events]  # type: ignore[attr-defined]
        self.folded.append(len(given))
        if state is None and not given:
            return None
        state = [] if state is None else state
        for n in given:
            if n == 0:
                raise ValueError("an event this fold refuses")
            state.append(n)
        return state


def history(stream: str, events: list[Noted]) -> History:
    return History(stream, len(events), list(events), [AT] * len(events))


def folds(fold: Counting, streams: int = 8) -> Folds[list[int]]:
    return Folds(fold, list.copy, streams=streams)


def test_a_stream_read_again_with_more_events_folds_only_those():
    fold = Counting()
    kept = folds(fold)
    events = [Noted(n=n) for n in range(1, 4)]
    assert kept.state(history("s", events)) == [1, 2, 3]
    events += [Noted(n=4), Noted(n=5)]

    assert kept.state(history("s", events)) == [1, 2, 3, 4, 5]
    assert kept.state(history("s", events)) == [1, 2, 3, 4, 5]
    assert fold.folded == [3, 2], "the second read folds the two new events, the third none"


def test_a_stream_whose_folded_event_is_another_object_is_folded_from_the_start():
    """The store decoded the stream afresh (or the log was restored, or an event of a
    transaction that rolled back was folded): the same version is no proof of the same
    events, only the very objects folded are."""
    fold = Counting()
    kept = folds(fold)
    kept.state(history("s", [Noted(n=1), Noted(n=2)]))

    assert kept.state(history("s", [Noted(n=1), Noted(n=20), Noted(n=3)])) == [1, 20, 3]
    assert kept.state(history("s", [Noted(n=1)])) == [1]
    assert fold.folded == [2, 3, 1]


def test_each_caller_gets_a_state_of_its_own():
    kept = folds(Counting())
    events = [Noted(n=1), Noted(n=2)]
    first = kept.state(history("s", events))
    assert first is not None
    first.append(99)

    again = kept.state(history("s", events))
    assert again == [1, 2]
    assert again is not first
    assert kept.state(history("s", [*events, Noted(n=3)])) == [1, 2, 3]


def test_a_fold_that_fails_midway_leaves_the_kept_state_as_it_was():
    kept = folds(Counting())
    events = [Noted(n=1), Noted(n=2)]
    kept.state(history("s", events))

    with pytest.raises(ValueError):
        kept.state(history("s", [*events, Noted(n=3), Noted(n=0)]))

    assert kept.state(history("s", events)) == [1, 2]
    assert kept.state(history("s", [*events, Noted(n=4)])) == [1, 2, 4]


def test_a_stream_with_no_state_is_not_kept_and_the_least_recent_go_first():
    fold = Counting()
    kept = folds(fold, streams=2)
    assert kept.state(history("empty", [])) is None
    assert len(kept) == 0
    streams = {name: [Noted(n=1)] for name in ("a", "b", "c")}
    kept.state(history("a", streams["a"]))
    kept.state(history("b", streams["b"]))
    kept.state(history("a", streams["a"]))  # a used last: b goes first
    kept.state(history("c", streams["c"]))

    fold.folded.clear()  # the next folds counted
    kept.state(history("a", streams["a"]))
    kept.state(history("b", streams["b"]))
    assert fold.folded == [1], "a was still kept, b had gone"
