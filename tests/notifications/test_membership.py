"""Membership decides who receives what, by date, and the notifications service learns it from
the registry's events alone: a note to all members goes to the members on its date (not to
Kuwait for a note dated before its admission, though issued after; not to a state suspended or
withdrawn that day; to a reinstated one again); a notice to the members on the day of what it
tells; a redelivered registry event records nothing new; no recipient is sent an enclosure it
may not read; a suspended or withdrawn state still reads what was addressed to it, and its
receipts."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from uuid import uuid4

import pytest
from sqlalchemy import func, select

from services.notifications import domain
from services.notifications.events import Enclosure, MembershipNoted, NoteRegisterOpened
from services.notifications.reactions import REGISTRY, reactions
from services.notifications.seed import ISSUE_1280, MEMBER_STATES_2022, REGISTER_2022
from shared.access import Distribution, Membership, MembershipChange, read_membership
from shared.access.members import membership_changes
from shared.access.membership import REGISTRY_MEMBERSHIP_EVENTS
from tests.notifications.support import (
    AUDITOR,
    SECRETARIAT,
    created,
    deliver,
    get,
    kuwait_admitted,
    member,
    membership_event,
    notifications,
    post,
    react_again,
    revised,
    the_27_and_the_register_of_2022,
)

FOUNDED = date(1999, 9, 14)
MEMBERS_ONLY = {"kind": "member_states_only", "states": []}
PLAIN = {**ISSUE_1280, "enclosures": [], "pages": None}
"""The seed's note without its enclosures (whose documents some tests make restricted)."""


REGISTER_2023 = {**REGISTER_2022, "name": "2023", "year": 2023, "next_number": 1}
"""The register of 2023: the count starts again (see `domain.Register`)."""


def dated(day: str, **more: object) -> dict:
    return {**PLAIN, "dated": day, **more}


# ------------------------------------------------------------------------------ the rules


def test_the_service_follows_each_of_the_registrys_membership_events():
    followed = {
        event_type for producer, event_type in reactions.subscriptions() if producer == REGISTRY
    }
    assert followed == set(REGISTRY_MEMBERSHIP_EVENTS)


def test_a_membership_noted_twice_is_noted_once_and_folds_with_its_dates():
    history: list = []
    for state, change, day in (
        ("KAZ", MembershipChange.FOUNDING, FOUNDED),
        ("KAZ", MembershipChange.FOUNDING, FOUNDED),
        ("IRQ", MembershipChange.FOUNDING, FOUNDED),
        ("IRQ", MembershipChange.SUSPENDED, date(2023, 1, 1)),
        ("IRQ", MembershipChange.REINSTATED, date(2023, 6, 1)),
        ("AFG", MembershipChange.FOUNDING, FOUNDED),
        ("AFG", MembershipChange.WITHDRAWN, date(2023, 3, 1)),
    ):
        history += domain.note_change(history, state=state, change=change, effective_on=day)
    known = domain.members(history)

    assert len(history) == 6 and all(isinstance(e, MembershipNoted) for e in history)
    assert known.on(date(2022, 12, 31)) == ["AFG", "IRQ", "KAZ"]
    assert known.on(date(2023, 2, 1)) == ["AFG", "KAZ"], "Iraq suspended"
    assert known.on(date(2023, 6, 1)) == ["IRQ", "KAZ"], "Iraq reinstated, Afghanistan gone"


def _issue(membership: Membership, **overrides: object) -> list:
    values: dict = {
        "prefix": "SOC/OI", "note_id": uuid4(), "place": "Astana", "dated": date(2022, 10, 7),
        "pages": None,
        "subject": {"en": "s"}, "text": {"en": "t"}, "enclosures": (), "recipients": None,
        "membership": membership, "enclosed": {}, "corrects": None, "corrected_exists": False,
        "now": datetime(2022, 10, 13, 9, tzinfo=UTC),
    } | overrides  # fmt: skip
    opened = NoteRegisterOpened(name="all", prefixes=("SOC/OI",), year=None, next_number=1280)
    return domain.issue_note(domain.note_register("all", [opened]), **values)


def test_a_note_to_all_goes_to_the_members_on_its_date_and_a_named_state_whatever_it_is():
    known = Membership.of(
        [
            *((state, MembershipChange.FOUNDING, FOUNDED) for state in ("KAZ", "IRQ", "AFG")),
            ("KWT", MembershipChange.ADMITTED, date(2022, 10, 12)),
            ("IRQ", MembershipChange.SUSPENDED, date(2022, 10, 1)),
            ("AFG", MembershipChange.WITHDRAWN, date(2022, 9, 1)),
        ]
    )
    (before,) = _issue(known, dated=date(2022, 10, 7))
    (after,) = _issue(known, dated=date(2022, 10, 12))
    (to_kuwait,) = _issue(known, recipients=["KWT", "KAZ"], dated=date(2022, 10, 7))

    assert before.recipients == ("KAZ",) and before.addressed_to_all_members
    assert after.recipients == ("KAZ", "KWT")
    assert to_kuwait.recipients == ("KAZ", "KWT") and not to_kuwait.addressed_to_all_members
    with pytest.raises(domain.NoMembersError):
        _issue(known, dated=date(1999, 1, 1))


def test_an_enclosure_goes_only_to_recipients_who_may_read_it():
    symbol = "SUM/2022/DRAFT/4/Rev.1"
    enclosures = (Enclosure(symbol=symbol, pages=2),)
    known = Membership.of((s, MembershipChange.FOUNDING, FOUNDED) for s in ("KAZ", "IND", "CHN"))
    restricted = {
        "enclosures": enclosures,
        "enclosed": {symbol: Distribution.restricted("KAZ", "IND")},
    }

    with pytest.raises(domain.EnclosureNotDistributedError) as to_all:
        _issue(known, **restricted)
    with pytest.raises(domain.EnclosureNotDistributedError) as to_kuwait:
        _issue(
            known,
            recipients=["KWT"],
            enclosures=enclosures,
            enclosed={symbol: Distribution.member_states_only()},
        )
    (named,) = _issue(known, recipients=["KAZ", "IND"], **restricted)
    (unknown,) = _issue(known, enclosures=enclosures)
    (general,) = _issue(
        known, recipients=["KWT"], enclosures=enclosures, enclosed={symbol: Distribution.general()}
    )

    assert to_all.value.rule == "enclosure-not-distributed-to-recipients"
    assert to_all.value.members["states"] == ["CHN"] and symbol in to_all.value.detail
    assert to_kuwait.value.members["states"] == ["KWT"], "no member on the note's date"
    assert named.recipients == ("IND", "KAZ")
    assert unknown.recipients == ("CHN", "IND", "KAZ"), "a distribution never learnt: no check"
    assert general.recipients == ("KWT",)


# ------------------------------------------------------------------------------ the service


async def test_a_note_dated_before_kuwaits_admission_does_not_go_to_kuwait_though_issued_after(
    database_url, servers
):
    """Note No. SOC/OI/1280 of 7 October 2022, issued after the Summit admitted Kuwait on the
    12th, goes to the 27; one dated the 12th to the 28; the Secretariat may still write to
    Kuwait by naming it. Rev.9 dated the 11th is told to the 27, though Kuwait's admission
    reached the service first."""
    async with notifications(database_url, servers.nats_url) as (app, client):
        await the_27_and_the_register_of_2022(client)
        await deliver(app, kuwait_admitted())
        of_the_7th = (await post(client, "/notes", ISSUE_1280)).json()
        named = (await post(client, "/notes", dated("2022-10-07", recipients=["KWT"]))).json()
        of_the_12th = (await post(client, "/notes", dated("2022-10-12"))).json()
        kuwait_reads = await get(client, "/notes/SOC-OI-1280", member("KWT"), status=404)
        await deliver(app, created("SUM/2022/DRAFT/1", MEMBERS_ONLY))
        rev9 = revised("SUM/2022/DRAFT/1", 9)
        await deliver(app, replace(rev9, data=rev9.data | {"dated": "2022-10-11"}))
        (told,) = (await get(client, "/notices", kind="document_revised"))["notices"]
        (admission,) = (await get(client, "/notices", kind="member_admitted"))["notices"]

    assert of_the_7th["recipients"] == list(MEMBER_STATES_2022)
    assert of_the_7th["addressed_to_all_members"] is True
    assert of_the_12th["recipients"] == sorted([*MEMBER_STATES_2022, "KWT"])
    assert named["recipients"] == ["KWT"] and named["addressed_to_all_members"] is False
    assert kuwait_reads["type"] == "/problems/not-found"
    assert told["recipients"] == list(MEMBER_STATES_2022), "the members on the revision's date"
    assert admission["recipients"] == sorted([*MEMBER_STATES_2022, "KWT"])


async def test_a_note_to_all_skips_a_state_suspended_or_withdrawn_on_its_date(
    database_url, servers
):
    """Iraq suspended from 1 January 2023 and reinstated on 1 June; Afghanistan withdrew on
    1 March. Each note to all goes to the members on its date, whatever the day it is issued;
    the member-state list shows each state's status."""
    changes = [
        membership_event("MembershipSuspended", "IRQ", effective_on="2023-01-01"),
        membership_event("MemberWithdrew", "AFG", effective_on="2023-03-01"),
        membership_event("MembershipReinstated", "IRQ", effective_on="2023-06-01"),
    ]
    async with notifications(database_url, servers.nats_url) as (app, client):
        await the_27_and_the_register_of_2022(client)
        await post(client, "/registers", REGISTER_2023)
        for change in changes:
            await deliver(app, change)
        notes = {
            day: (await post(client, "/notes", dated(day))).json()["recipients"]
            for day in ("2022-12-31", "2023-02-01", "2023-04-01", "2023-06-01")
        }
        listed = await get(client, "/member-states")
        on_april_1 = await get(client, "/member-states", on="2023-04-01")
        set_up = await client.post(
            "/member-states",
            json={"states": ["NZL"], "member_since": "1999-09-14"},
            headers=SECRETARIAT,
        )
        await deliver(app, kuwait_admitted())
        (admission,) = (await get(client, "/notices", kind="member_admitted"))["notices"]

    the_27 = set(MEMBER_STATES_2022)
    assert set(notes["2022-12-31"]) == the_27
    assert set(notes["2023-02-01"]) == the_27 - {"IRQ"}, "suspended"
    assert set(notes["2023-04-01"]) == the_27 - {"IRQ", "AFG"}, "suspended, withdrawn"
    assert set(notes["2023-06-01"]) == the_27 - {"AFG"}, "reinstated; withdrawn"
    states = {s["state"]: s for s in listed["member_states"]}
    assert listed["count"] == 27, "a withdrawn state is listed, as withdrawn"
    assert states["AFG"] == {
        "state": "AFG",
        "member_since": "1999-09-14",
        "admitted": False,
        "status": "withdrawn",
        "status_since": "2023-03-01",
    }
    assert (states["IRQ"]["status"], states["IRQ"]["status_since"]) == ("member", "2023-06-01")
    assert {s["state"] for s in on_april_1["member_states"]} == the_27 - {"IRQ", "AFG"}
    assert set_up.status_code == 405, "members come from the registry's events only"
    assert set(admission["recipients"]) == the_27 | {"KWT"}, "the members of 12 October 2022"


async def test_a_redelivered_registry_event_records_nothing_new(database_url, servers):
    events = [
        membership_event(
            "FoundingMemberRegistered", "KAZ", names={"en": "Kazakhstan"}, member_since="1999-09-14"
        ),
        kuwait_admitted(),
        membership_event("MembershipSuspended", "KWT", effective_on="2023-01-01"),
        membership_event("MembershipReinstated", "KWT", effective_on="2023-02-01"),
        membership_event("MemberWithdrew", "KWT", effective_on="2024-01-01"),
    ]
    async with notifications(database_url, servers.nats_url) as (app, client):
        for event in events:
            await deliver(app, event)
            await deliver(app, event)
            await react_again(app, event)
        republished = membership_event("MemberWithdrew", "KWT", effective_on="2024-01-01")
        await deliver(app, republished)
        stream = await app.state.store.read_stream("member-states")
        notices = (await get(client, "/notices", AUDITOR))["notices"]
        async with app.state.store.engine.connect() as connection:
            rows = (
                await connection.execute(
                    select(membership_changes.c.event_id, func.count()).group_by(
                        membership_changes.c.event_id
                    )
                )
            ).all()
            known = await read_membership(connection)

    assert [(r.data["state"], r.data["change"]) for r in stream] == [
        ("KAZ", "founding"),
        ("KWT", "admitted"),
        ("KWT", "suspended"),
        ("KWT", "reinstated"),
        ("KWT", "withdrawn"),
    ], "each change once, whatever the deliveries"
    assert [r.metadata["causation_id"] for r in stream] == [str(e.event_id) for e in events]
    assert len(notices) == 1, "Kuwait's admission told once"
    assert {count for _, count in rows} == {1}
    assert {event_id for event_id, _ in rows} == {e.event_id for e in [*events, republished]}
    assert known.on(date(2023, 1, 15)) == ["KAZ"] and known.on(date(2023, 3, 1)) == ["KAZ", "KWT"]
    assert known.on(date(2024, 1, 1)) == ["KAZ"], "the kit's table follows the withdrawal"


async def test_an_enclosure_is_sent_only_to_recipients_who_may_read_it(database_url, servers):
    """SUM/2022/DRAFT/4 is restricted to Kazakhstan and Kuwait, SUM/2022/DRAFT/1 to member
    states: neither goes to all the members, nor to a state outside its readers on the note's
    date; a refusal records nothing."""
    restricted = {"kind": "restricted", "states": ["KAZ", "KWT"]}
    draft4 = [{"symbol": "SUM/2022/DRAFT/4/Rev.1", "pages": 3}]
    draft1 = [{"symbol": "SUM/2022/DRAFT/1/Rev.8", "pages": 6}]
    async with notifications(database_url, servers.nats_url) as (app, client):
        await the_27_and_the_register_of_2022(client)
        await deliver(app, kuwait_admitted())
        await deliver(app, created("SUM/2022/DRAFT/4", restricted))
        await deliver(app, created("SUM/2022/DRAFT/1", MEMBERS_ONLY))
        to_all = await post(client, "/notes", dated("2022-10-13", enclosures=draft4), status=409)
        to_india = await post(
            client,
            "/notes",
            dated("2022-10-13", enclosures=draft4, recipients=["KAZ", "IND"]),
            status=409,
        )
        to_kuwait_before = await post(
            client, "/notes", dated("2022-10-07", enclosures=draft1, recipients=["KWT"]), status=409
        )
        version = await app.state.store.stream_version("register-2022")
        to_readers = await post(
            client, "/notes", dated("2022-10-13", enclosures=draft4, recipients=["KAZ", "KWT"])
        )
        to_kuwait_after = await post(
            client, "/notes", dated("2022-10-13", enclosures=draft1, recipients=["KWT"])
        )
        to_all_members = await post(client, "/notes", dated("2022-10-13", enclosures=draft1))
        never_heard_of = await post(
            client,
            "/notes",
            dated("2022-10-13", enclosures=[{"symbol": "SOC/2022-III/Agenda/2", "pages": 2}]),
        )

    problem = to_all.json()
    assert to_all.headers["content-type"] == "application/problem+json"
    assert problem["type"] == "/problems/enclosure-not-distributed-to-recipients"
    assert problem["symbol"] == "SUM/2022/DRAFT/4/Rev.1"
    assert set(problem["states"]) == set(MEMBER_STATES_2022) - {"KAZ"}
    assert to_india.json()["states"] == ["IND"]
    assert to_kuwait_before.json()["states"] == ["KWT"], "not a member on 7 October"
    assert version == 1, "the refused notes recorded nothing"
    assert to_readers.json()["recipients"] == ["KAZ", "KWT"]
    assert to_kuwait_after.json()["recipients"] == ["KWT"]
    assert len(to_all_members.json()["recipients"]) == 28
    assert len(never_heard_of.json()["recipients"]) == 28, "a distribution never learnt"


async def test_a_suspended_or_withdrawn_state_still_reads_its_past_notes_and_receipts(
    database_url, servers
):
    async with notifications(database_url, servers.nats_url) as (app, client):
        await the_27_and_the_register_of_2022(client)
        await post(client, "/registers", REGISTER_2023)
        await post(client, "/notes", PLAIN)
        await post(
            client, "/notes/SOC-OI-1280/receipt", {"reference": "AFG 1"}, headers=member("AFG")
        )
        await deliver(app, membership_event("MemberWithdrew", "AFG", effective_on="2023-03-01"))
        await deliver(
            app, membership_event("MembershipSuspended", "IRQ", effective_on="2023-03-01")
        )
        later = (await post(client, "/notes", dated("2023-04-01"))).json()
        afghanistan = {
            "inbox": await get(client, "/inbox", member("AFG")),
            "notes": await get(client, "/notes", member("AFG")),
            "note": await get(client, "/notes/SOC-OI-1280", member("AFG")),
            "later": await get(client, "/notes/SOC-OI-1", member("AFG"), status=404),
            "again": await post(
                client, "/notes/SOC-OI-1280/receipt", {}, headers=member("AFG"), status=200
            ),
        }
        iraq_late_receipt = await post(
            client, "/notes/SOC-OI-1280/receipt", {}, headers=member("IRQ")
        )
        iraq_inbox = await get(client, "/inbox", member("IRQ"))
        receipts = await get(client, "/notes/SOC-OI-1280/receipts")

    assert "AFG" not in later["recipients"] and "IRQ" not in later["recipients"]
    (item,) = afghanistan["inbox"]["items"]
    assert item["number"] == "SOC/OI/1280" and item["acknowledged_at"] is not None
    assert [n["number"] for n in afghanistan["notes"]["notes"]] == ["SOC/OI/1280"]
    assert afghanistan["note"]["number"] == "SOC/OI/1280"
    assert afghanistan["later"]["type"] == "/problems/not-found"
    assert afghanistan["again"].json()["reference"] == "AFG 1", "its receipt, as given"
    assert iraq_late_receipt.json()["state"] == "IRQ"
    assert [i["number"] for i in iraq_inbox["items"]] == ["SOC/OI/1280"]
    assert [r["state"] for r in receipts["acknowledged"]] == ["AFG", "IRQ"]
