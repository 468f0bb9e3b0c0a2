"""Membership decides participation and objections, as the registry records it: the meetings
service learns the member states from the registry's events alone (founding, admitted,
suspended, reinstated, withdrawn, each with its effective date); a state suspended or withdrawn
by a meeting's first day does not take part in it, a reinstated one is back for the meetings
that start after its reinstatement; a state that is not a member on the day it objects is
refused (403 `not-a-member-state`) and nothing is recorded, while what it said as a member stays
on record."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import uuid4

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from services.meetings import domain
from services.meetings.events import ParticipantRemoved
from services.meetings.reactions import (
    reactions,
    when_a_states_membership_changes_the_meetings_not_yet_started_follow,
)
from services.meetings.seed import (
    MEMBER_STATES_2022,
    RECOMMEND_KUWAIT,
    SILENCE_PROCEDURE,
    SUMMIT_MEETING,
)
from shared.access import Role
from shared.access.members import membership_changes
from shared.access.membership import REGISTRY_MEMBERSHIP_EVENTS
from shared.access.model import Membership, MembershipChange
from tests.access import bearer
from tests.meetings.support import (
    SECRETARIAT,
    SOC,
    SUMMIT,
    deliver,
    founding_members,
    meetings,
    post,
    react_again,
    reinstated,
    soc_meeting_with_adopted_agenda,
    suspended,
    withdrew,
)
from tests.meetings.test_domain import MEETING
from tests.meetings.test_rules_decisions import kuwait, objected
from tests.meetings.test_silence_procedure import status_of, until
from tests.polling import eventually

MINISTERIAL = {**SUMMIT_MEETING, "body": "MC", "session": "MC/2022", "title": "Ministerial Council",
               "starts_on": "2022-11-01", "ends_on": "2022-11-01"}
"""A meeting of 1 November 2022 (the tests' own)."""
YESTERDAY = (datetime.now(UTC) - timedelta(days=1)).date().isoformat()


def member(state: str) -> dict[str, str]:
    return bearer(Role.MEMBER_STATE, state)


async def participants(client: httpx.AsyncClient, meeting_id: str) -> list[str]:
    response = await client.get(f"/meetings/{meeting_id}", headers=SECRETARIAT)
    assert response.status_code == 200, response.text
    return response.json()["participants"]


async def listed_participants(client: httpx.AsyncClient) -> dict[str, list[str]]:
    """Each meeting's participants in the read model (`GET /meetings`)."""
    response = await client.get("/meetings", headers=SECRETARIAT)
    assert response.status_code == 200, response.text
    return {m["meeting_id"]: m["participants"] for m in response.json()["meetings"]}


async def members_on(client: httpx.AsyncClient, day: str) -> list[str]:
    response = await client.get("/member-states", params={"on": day}, headers=SECRETARIAT)
    assert response.status_code == 200, response.text
    return response.json()["member_states"]


async def kit_rows(app: FastAPI, state: str) -> int:
    """The kit's membership changes recorded for `state` (what its access rule reads)."""
    async with app.state.engine.connect() as connection:
        return (await connection.execute(
            select(func.count()).select_from(membership_changes)
            .where(membership_changes.c.state == state)
        )).scalar_one()


def refused_as_non_member(response: httpx.Response, state: str) -> None:
    assert response.status_code == 403, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["type"] == "/problems/not-a-member-state", problem
    assert problem["state"] == state


# ------------------------------------------------------------------------------ founding members


async def test_founding_members_come_from_the_registrys_events_alone(database_url, servers):
    """Three `FoundingMemberRegistered` make three member states: listed, the default
    participants of a meeting, readers of it; the service has no set-up call of its own."""
    async with meetings(database_url, servers.nats_url, consumers_enabled=False) as (app, client):
        unknown = await client.post("/meetings", json=SUMMIT_MEETING, headers=SECRETARIAT)
        founded = await founding_members(app, ["KAZ", "CHN", "IND"])
        set_up = await client.post(
            "/member-states", json={"states": ["RUS"], "member_since": "1999-09-14"},
            headers=SECRETARIAT,
        )
        listed = await members_on(client, "2022-10-12")
        await post(client, "/meetings", SUMMIT_MEETING)
        summit = await participants(client, SUMMIT)
        read = await client.get(f"/meetings/{SUMMIT}", headers=member("KAZ"))
        unseen = await client.get(f"/meetings/{SUMMIT}", headers=member("RUS"))
        noted = await app.state.store.read_stream("member-states")

    assert unknown.status_code == 409, "no member states known: no participants"
    assert unknown.json()["type"] == "/problems/no-participants"
    assert set_up.status_code == 405, "the only way in is the registry's events"
    assert listed == summit == ["CHN", "IND", "KAZ"]
    assert (read.status_code, unseen.status_code) == (200, 404)
    assert [(r.event_type, r.data["state"], r.data["change"], r.data["effective_on"])
            for r in noted] == [("MembershipNoted", s, "founding", "1999-09-14")
                                for s in ("KAZ", "CHN", "IND")]
    assert [r.metadata["causation_id"] for r in noted] == [str(e.event_id) for e in founded]


# ------------------------------------------------------------------------------ participants


async def test_a_suspended_state_leaves_the_meetings_not_yet_started_and_comes_back_reinstated(
    database_url, servers
):
    """India, suspended from 11 October 2022: it stays at the SOC (under way since the 10th),
    leaves the Summit of the 12th, is no default participant of the Ministerial Council of
    1 November scheduled while suspended; reinstated from 20 October, it takes part in the
    Ministerial Council again (not in the Summit, held while it was suspended)."""
    suspension, reinstatement = suspended("IND", "2022-10-11"), reinstated("IND", "2022-10-20")
    async with meetings(database_url, servers.nats_url, consumers_enabled=False) as (app, client):
        await soc_meeting_with_adopted_agenda(client)
        await post(client, "/meetings", SUMMIT_MEETING)
        await deliver(app, suspension)
        head = await app.state.store.head_position()
        await deliver(app, suspension)  # redelivered: the consumer's tracking says done
        await react_again(app, suspension)  # as if the tracking were lost: the rules say done
        again = await app.state.store.head_position()
        kit_after_redelivery = await kit_rows(app, "IND")
        await post(client, "/meetings", MINISTERIAL)
        while_suspended = {m: await participants(client, m) for m in (SOC, SUMMIT, "MC-2022")}
        members_while_suspended = await members_on(client, "2022-10-15")
        reads_while_suspended = await client.get(f"/meetings/{SOC}", headers=member("IND"))
        await deliver(app, reinstatement)
        reinstated_in = {m: await participants(client, m) for m in (SOC, SUMMIT, "MC-2022")}
        listed = await listed_participants(client)
        reads_reinstated = await client.get(f"/meetings/{SOC}", headers=member("IND"))
        summit_log = await app.state.store.read_stream(f"meeting-{SUMMIT}")
        ministerial_log = await app.state.store.read_stream("meeting-MC-2022")

    assert again == head, "a redelivered registry event records nothing new"
    assert kit_after_redelivery == 2, "founding and suspended, once each"
    assert "IND" in while_suspended[SOC] and len(while_suspended[SOC]) == 27
    assert "IND" not in while_suspended[SUMMIT] and len(while_suspended[SUMMIT]) == 26
    assert "IND" not in while_suspended["MC-2022"] and len(while_suspended["MC-2022"]) == 26
    assert "IND" not in members_while_suspended and len(members_while_suspended) == 26
    assert reads_while_suspended.status_code == 404
    removed = next(r for r in summit_log if r.event_type == "ParticipantRemoved")
    assert removed.data == {"state": "IND", "change": "suspended", "effective_on": "2022-10-11"}
    assert removed.metadata["causation_id"] == str(suspension.event_id)
    assert "IND" not in reinstated_in[SUMMIT], "the Summit was held while India was suspended"
    assert "IND" in reinstated_in["MC-2022"] and len(reinstated_in["MC-2022"]) == 27
    assert listed == reinstated_in, "the read model follows as the stream does"
    assert reads_reinstated.status_code == 200
    added = next(r for r in ministerial_log if r.event_type == "ParticipantAdded")
    assert added.data == {"state": "IND", "member_since": "2022-10-20", "change": "reinstated"}
    assert added.metadata["causation_id"] == str(reinstatement.event_id)


# ------------------------------------------------------------------------------ objections


async def test_a_withdrawn_states_objection_and_reservation_at_a_meeting_are_refused(
    database_url, servers
):
    """India withdrew yesterday: at the SOC's meeting (under way before, so India is still
    among its participants) its objection and its reservation are refused, naming the rule,
    and nothing is recorded; China's objection, raised while a member, stays on record and
    still stands after China's own withdrawal."""
    decision_id = str(uuid4())
    proposals = f"/meetings/{SOC}/decision-proposals"
    async with meetings(database_url, servers.nats_url, consumers_enabled=False) as (app, client):
        await soc_meeting_with_adopted_agenda(client)
        await post(client, proposals, {**RECOMMEND_KUWAIT, "decision_id": decision_id})
        await post(client, f"{proposals}/{decision_id}/objections", {"state": "CHN"},
                   headers=member("CHN"))
        await deliver(app, withdrew("IND", YESTERDAY))
        await deliver(app, withdrew("CHN", YESTERDAY))
        head = await app.state.store.head_position()
        objection = await client.post(f"{proposals}/{decision_id}/objections",
                                      json={"state": "IND"}, headers=member("IND"))
        on_behalf = await client.post(f"{proposals}/{decision_id}/objections",
                                      json={"state": "IND"}, headers=SECRETARIAT)
        reservation = await client.post(
            f"/meetings/{SOC}/decisions/{decision_id}/reservations",
            json={"state": "IND", "kind": "reservation", "text": "Not bound."},
            headers=member("IND"))
        after = await app.state.store.head_position()
        soc = await participants(client, SOC)
        taken = await client.post(f"/meetings/{SOC}/decisions",
                                  json={**RECOMMEND_KUWAIT, "decision_id": decision_id},
                                  headers=SECRETARIAT)
        proposal = (await client.get(f"/meetings/{SOC}/decisions", headers=SECRETARIAT)
                    ).json()["proposals"][0]

    refused_as_non_member(objection, "IND")
    refused_as_non_member(on_behalf, "IND")
    refused_as_non_member(reservation, "IND")
    assert after == head, "refused: the log did not move"
    assert "IND" in soc and "CHN" in soc, "the meeting was under way before they withdrew"
    assert proposal["objections"] == ["CHN"], "raised while a member: on record"
    assert taken.status_code == 409 and taken.json()["type"] == "/problems/no-consensus"


async def test_a_withdrawn_states_objection_in_a_silence_procedure_is_refused(
    database_url, servers
):
    """A procedure sent to the 27: India, withdrawn since (from yesterday), may no longer break
    the silence (403, nothing recorded); China's objection, raised before its own withdrawal,
    stays on record and the draft is not adopted at the deadline."""
    procedure_id = str(uuid4())
    objections = f"/silence-procedures/{procedure_id}/objections"
    async with meetings(database_url, servers.nats_url, consumers_enabled=False,
                        silence_check_interval=0.05) as (app, client):
        await founding_members(app)
        # Far enough for the steps below to run before it under load (1.5 s was not, once).
        deadline = datetime.now(UTC) + timedelta(seconds=5)
        body = {**SILENCE_PROCEDURE, "procedure_id": procedure_id,
                "deadline": deadline.isoformat()}
        await post(client, "/silence-procedures", body)
        await post(client, objections, {"state": "CHN"}, headers=member("CHN"))
        await deliver(app, withdrew("IND", YESTERDAY))
        await deliver(app, withdrew("CHN", YESTERDAY))
        head = await app.state.store.head_position()
        refused = await client.post(objections, json={"state": "IND"}, headers=member("IND"))
        after = await app.state.store.head_position()
        sent_to = (await status_of(client, body["procedure_id"]))["participants"]
        await until(body["deadline"])

        async def concluded() -> dict[str, Any]:
            return await status_of(client, body["procedure_id"])

        outcome = await eventually(concluded, until=lambda s: s["status"] != "running")

    refused_as_non_member(refused, "IND")
    assert after == head, "refused: the log did not move"
    assert sent_to == sorted(MEMBER_STATES_2022), "sent to the members when it started"
    assert outcome["status"] == "not_adopted"
    assert [o["state"] for o in outcome["objections"]] == ["CHN"]


# ------------------------------------------------------------------------------ the rules alone


def test_an_objection_stays_on_record_and_counts_while_its_state_takes_part():
    """India objects to a draft at the SOC while a member. Withdrawn from 1 January 2030, it
    may no longer object then; its objection stays on record and blocks the draft while India
    takes part in the meeting; once India no longer takes part, it does not block it."""
    drafted = uuid4()
    history = objected(drafted, "IND")
    gone = Membership.of([*((s, MembershipChange.FOUNDING, date(1999, 9, 14))
                            for s in MEMBER_STATES_2022),
                          ("IND", MembershipChange.WITHDRAWN, date(2030, 1, 1))])
    with_india = domain.meeting(MEETING, history)
    with pytest.raises(domain.NotAMemberStateError) as refused:
        domain.object_to_decision(with_india, decision_id=drafted, member_state="IND",
                                  membership=gone, now=datetime(2030, 1, 1, tzinfo=UTC))
    assert refused.value.rule == "not-a-member-state"
    with pytest.raises(domain.NotAMemberStateError):
        domain.place_reservation(with_india, decision_id=drafted, member_state="IND",
                                 kind="statement", text="OP5 means", membership=gone,
                                 now=datetime(2030, 1, 1, tzinfo=UTC))
    assert domain.place_reservation(with_india, decision_id=drafted, member_state="IND",
                                    kind="statement", text="OP5 means", membership=gone,
                                    now=datetime(2029, 12, 31, 23, 59, tzinfo=UTC))

    with pytest.raises(domain.NoConsensusError) as blocked:
        domain.record_decision(with_india, **kuwait(drafted))
    assert blocked.value.members["objections"] == ["IND"]
    no_longer = domain.meeting(MEETING, [*history, ParticipantRemoved(
        state="IND", change=MembershipChange.WITHDRAWN, effective_on=date(2022, 10, 1))])
    assert [o.state for o in no_longer.objections[drafted]] == ["IND"], "on record"
    (taken,) = domain.record_decision(no_longer, **kuwait(drafted))
    assert taken.decision_id == drafted


def test_the_service_follows_every_change_of_membership_the_registry_records():
    for event_type in REGISTRY_MEMBERSHIP_EVENTS:
        assert reactions.handler("registry", event_type) is (
            when_a_states_membership_changes_the_meetings_not_yet_started_follow), event_type
