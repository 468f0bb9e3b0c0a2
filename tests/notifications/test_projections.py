"""The notifications service's read models rebuilt from its log give the same digest as the
live ones: into a scratch schema (`replay_digest`) and in place (`rebuild`)."""

from __future__ import annotations

from services.notifications.projections import projections
from services.notifications.seed import ISSUE_1280
from shared.projections import rebuild, replay_digest
from tests.notifications.support import (
    adopted,
    created,
    deliver,
    get,
    kuwait_admitted,
    member,
    membership_event,
    notifications,
    post,
    revised,
    the_27_and_the_register_of_2022,
)


async def test_projections_rebuilt_from_the_log_give_the_live_digests(database_url, servers):
    symbol = "SUM/2022/DRAFT/1"
    events = [
        created(symbol, {"kind": "member_states_only", "states": []}),
        revised(symbol, 9),
        kuwait_admitted(),
        adopted("SOC-2022-III", "SOC/2022-III/Agenda/2"),
        membership_event("MembershipSuspended", "IRQ", effective_on="2023-01-01"),
        membership_event("MembershipReinstated", "IRQ", effective_on="2023-06-01"),
        membership_event("MemberWithdrew", "AFG", effective_on="2023-03-01"),
    ]
    ours = {p.name for p in projections}
    async with notifications(database_url, servers.nats_url) as (app, client):
        await the_27_and_the_register_of_2022(client)
        await post(client, "/notes", ISSUE_1280)
        for event in events:
            await deliver(app, event)
        await post(client, "/notes", {**ISSUE_1280, "recipients": ["KAZ", "KWT"],
                                      "dated": "2022-10-13"})
        await post(
            client, "/notes/SOC-OI-1280/receipt", {"reference": "12-1"}, headers=member("KAZ")
        )
        notices = (await get(client, "/notices", member("KWT")))["notices"]
        await post(client, f"/notices/{notices[0]['notice_id']}/receipt", {}, headers=member("KWT"))
        head = await app.state.projection_runner.wait_until_caught_up()
        live = await get(client, "/projections")
        store = app.state.store
        replayed = {p.name: await replay_digest(store, p, until=head) for p in projections}
        reports = [await rebuild(store, p) for p in projections]
        after = await get(client, "/projections")

    mine = [p for p in live["projections"] if p["name"] in ours]
    digests = {p["name"]: p["digest"] for p in mine}
    assert {p["name"]: p["position"] for p in mine} == {name: head for name in ours}
    assert replayed == digests
    for report in reports:
        assert report.digest_after == report.digest_before == digests[report.name]
    assert {p["name"]: p["digest"] for p in after["projections"] if p["name"] in ours} == (digests)
    assert len(set(digests.values())) == len(projections)
