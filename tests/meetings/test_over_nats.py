"""The seed's flow end to end on the test session's NATS, with the real meetings and registry
apps, each with its relay and consumers: the registry's founding members reach the meetings
service by themselves (`FoundingMemberRegistered`), the SOC recommends Kuwait's admission and
the Summit adopts it at their meetings (meetings service) → the registry admits Kuwait
(`MemberAdmitted`) → the meetings service counts Kuwait among the Summit's participants, and
Kuwait reads the Summit's meeting."""

from __future__ import annotations

import pytest

from services.meetings.seed import RECOMMEND_KUWAIT
from shared.access import Role
from tests.access import bearer
from tests.meetings.support import (
    SECRETARIAT,
    SOC,
    meetings,
    post,
    soc_meeting_with_adopted_agenda,
    summit_with_adopted_agenda,
)
from tests.polling import eventually
from tests.registry.support import kuwait_applies, members, register_founding_members, registry
from tests.shared.transport import delete_streams


@pytest.fixture
async def fresh_streams(servers):
    """Both producers' streams are shared by the session: start from none, leave none."""
    await delete_streams(servers.nats_url, "meetings", "registry")
    yield
    await delete_streams(servers.nats_url, "meetings", "registry")


async def test_kuwait_admitted_by_the_summits_decision_joins_the_summit(
    fresh_streams, database_url, servers, new_database
):
    kuwait = bearer(Role.MEMBER_STATE, "KWT")
    registry_db = await new_database()
    async with registry(registry_db, servers.nats_url) as (_, registry_client):
        await register_founding_members(registry_client)
        await kuwait_applies(registry_client)
        async with meetings(database_url, servers.nats_url) as (_, client):

            async def the_27_arrived() -> bool:
                response = await client.get("/member-states", params={"on": "2022-10-07"},
                                            headers=SECRETARIAT)
                return response.json()["count"] == 27

            await eventually(the_27_arrived, within=30)
            await soc_meeting_with_adopted_agenda(client, founding=False)
            await post(client, f"/meetings/{SOC}/decisions", RECOMMEND_KUWAIT)
            await summit_with_adopted_agenda(client)
            unseen = (await client.get("/meetings/SUM-2022", headers=kuwait)).status_code
            await post(client, "/meetings/SUM-2022/decisions", {
                "item": "2", "outcome": "adopted",
                "subject": {"kind": "membership_application", "state": "KWT"},
                "decided_on": "2022-10-12", "text": "Kuwait is admitted as a Member State."})

            async def kuwait_takes_part() -> bool:
                response = await client.get("/meetings/SUM-2022", headers=SECRETARIAT)
                return "KWT" in response.json()["participants"]

            await eventually(kuwait_takes_part, within=30)
            summit = await client.get("/meetings/SUM-2022", headers=kuwait)
            soc = (await client.get(f"/meetings/{SOC}", headers=SECRETARIAT)).json()
        listed = await members(registry_client, effective="2022-10-12")

    assert unseen == 404
    assert summit.status_code == 200, summit.text
    assert len(summit.json()["participants"]) == 28
    assert "KWT" not in soc["participants"]
    assert len(listed) == 28 and "KWT" in listed
