"""`cica audit replay`, `cica audit state --as-of` and `cica audit trace`: an auditor's view of
the history, over HTTP with an auditor token and no access to the Secretariat's databases.

- ``replay``: for each service, its read models' positions and digests (``GET /projections``),
  its log fetched up to the furthest of those positions and its hash chain recomputed here,
  the log loaded verbatim (positions, ids, hashes) into a scratch database migrated for that
  service, and each read model folded afresh, by the service's own projection code, up to the
  live one's position (`shared.projections.replay_digest`). Identical digests mean the live
  read model is exactly what the log says; exit 1 when one differs. A log that does not reach
  that position is refused, as a broken chain is (exit 2). The scratch database is on
  a PostgreSQL server of the auditor's own (``--scratch-database-url``), else on one started
  here in a temporary directory and removed after.
- ``state --as-of INSTANT``: what the organisation knew at that instant, folded here from every
  service's log (see `effective`): members, chairs, documents, agendas, decisions, notes and
  notices with their receipts. The services' own as-of routes are not used: they answer in
  recording time, one stream at a time, while the history of 2022 was recorded later; and only
  the whole fetched log can be folded at once and checked against the chain.
- ``trace EVENT_ID``: the causes (up the ``causation_id`` chain) and effects (down it,
  recursively, across services) of one event, as a tree. Deliveries and receipts do not carry
  a ``causation_id``; they are linked to their message by the ``message_id`` their delivery
  stream carries (see `_message_links`).

Every command recomputes the hash chain of each log it fetches (`fetch_checked`) and answers
nothing if one breaks: AuditError (exit 2) naming the service and the position.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import shutil
import sys
import tempfile
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, TextIO

import asyncpg
import httpx
from sqlalchemy.engine import make_url

from shared.eventstore import PostgresEventStore, create_engine
from shared.projections import Projection, replay_digest
from shared.settings import service_database_url
from shared.system.audit.verify import (
    AuditError,
    Progress,
    ServiceLog,
    check_chain,
    fetch_events,
    get_json,
    recorded_event,
)
from shared.system.devservers import LocalPostgres, free_port
from shared.system.migrate import ensure_database, upgrade
from shared.system.services import service_named

PAGE = 1000


# ----------------------------------------------------------------------------- fetching


async def fetch_checked(
    service: str, client: httpx.AsyncClient, progress: Progress, *, until: int | None = None
) -> list[dict[str, Any]]:
    """A service's log from position 1 (up to `until` if given), its hash chain recomputed
    here; AuditError naming the service and position where the chain breaks, or, with
    `until`, the position the log reached when it stops short of `until`."""
    events = await fetch_events(service, client, progress, until=until)
    _, failure = check_chain(ServiceLog(service, events))
    if failure is not None:
        raise AuditError(f"{failure} (run `cica audit verify`)")
    reached = len(events)  # a chain that holds runs from position 1 without a gap
    if until is not None and reached < until:
        raise AuditError(
            f"{service}: FAILED: the log served ends at position {reached}, short of position "
            f"{until} asked for (where its read models claim to be)"
        )
    return events


async def fetch_all(
    clients: dict[str, httpx.AsyncClient], progress: Progress
) -> dict[str, list[dict[str, Any]]]:
    """Every service's whole log, each chain checked (see `fetch_checked`)."""
    return {s: await fetch_checked(s, c, progress) for s, c in clients.items()}


# ------------------------------------------------------------------------------- replay


@dataclass
class ReplayResult:
    service: str
    projection: str
    position: int
    live: str
    replayed: str | None
    note: str = ""

    @property
    def identical(self) -> bool:
        return self.replayed is not None and self.replayed == self.live


_INSERT = """
INSERT INTO events (position, event_id, stream_id, stream_type, version, event_type,
                    schema_version, data, metadata, recorded_at, prev_hash, hash)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9::jsonb, $10, $11, $12)
"""


async def load_into(database_url: str, events: list[dict[str, Any]]) -> None:
    """The fetched events, verbatim, into the scratch database's `events` table (the
    append-only trigger lets INSERT through)."""
    connection = await asyncpg.connect(_plain(database_url))
    try:
        rows = []
        for item in events:
            record = recorded_event(item)
            rows.append(
                (
                    record.position,
                    record.event_id,
                    record.stream_id,
                    record.stream_type,
                    record.version,
                    record.event_type,
                    record.schema_version,
                    json.dumps(record.data, ensure_ascii=False),
                    json.dumps(record.metadata, ensure_ascii=False),
                    record.recorded_at,
                    record.prev_hash,
                    record.hash,
                )
            )
        for start in range(0, len(rows), PAGE):
            await connection.executemany(_INSERT, rows[start : start + PAGE])
    finally:
        await connection.close()


def service_projections(service: str) -> list[Projection]:
    """The projections the service's app runs (what `cica rebuild` folds too)."""
    return service_named(service).projections()


async def replay_service(
    service: str, client: httpx.AsyncClient, server_url: str, progress: Progress
) -> list[ReplayResult]:
    """Replay one service's log into a scratch database on `server_url`; a result per live
    projection (and per projection the code declares that the service does not serve)."""
    served = await get_json(client, "/projections")
    live = {p["name"]: p for p in served["projections"]}
    until = max((p["position"] for p in live.values()), default=0)
    events = await fetch_checked(service, client, progress, until=until)
    declared = {p.name: p for p in service_projections(service)}
    url = service_database_url(server_url, f"audit_{service}_{secrets.token_hex(4)}")
    await ensure_database(url)
    results = []
    try:
        await upgrade(service, url)
        await load_into(url, events)
        engine = create_engine(url, pool_size=2, max_overflow=0)
        store = PostgresEventStore(engine, service_named(service).event_types)
        try:
            for name, state in live.items():
                projection = declared.get(name)
                if projection is None:
                    results.append(
                        ReplayResult(service, name, state["position"], state["digest"], None,
                                     "not declared by this version of the code")
                    )  # fmt: skip
                    continue
                note = ""
                if state["version"] != projection.version:
                    note = f"live version {state['version']}, code declares {projection.version}"
                progress.step(f"{service}: replaying {name} to {state['position']}")
                digest = await replay_digest(store, projection, until=state["position"])
                results.append(
                    ReplayResult(service, name, state["position"], state["digest"], digest, note)
                )
            for name in declared.keys() - live.keys():
                results.append(ReplayResult(service, name, 0, "", None, "declared but not served"))
        finally:
            await store.close()
            await engine.dispose()
    finally:
        await _drop_database(url)
    return results


def _plain(url: str, database: str | None = None) -> str:
    """`url` as asyncpg takes it (no SQLAlchemy driver name), on `database` if given."""
    parsed = make_url(url).set(drivername="postgresql")
    if database is not None:
        parsed = parsed.set(database=database)
    return parsed.render_as_string(hide_password=False)


async def _drop_database(url: str) -> None:
    parsed = make_url(url)
    connection = await asyncpg.connect(_plain(url, "postgres"))
    try:
        quoted = '"' + str(parsed.database).replace('"', '""') + '"'
        await connection.execute(f"DROP DATABASE IF EXISTS {quoted} WITH (FORCE)")
    finally:
        await connection.close()


async def replay_services(
    clients: dict[str, httpx.AsyncClient],
    server_url: str,
    *,
    progress: Progress | None = None,
    out: TextIO | None = None,
) -> list[ReplayResult]:
    """`cica audit replay` on the scratch server `server_url`; every result, printed."""
    progress = progress or Progress()
    out = out or sys.stdout
    results = []
    for service, client in clients.items():
        service_results = await replay_service(service, client, server_url, progress)
        for result in service_results:
            if result.identical:
                verdict = "identical"
            elif result.replayed is None:
                verdict = "not replayed"
            else:
                verdict = "DIFFERS"
            line = f"{service} {result.projection} at {result.position}: {verdict}"
            if result.replayed is not None and not result.identical:
                line += f" (live {result.live[:16]}…, replayed {result.replayed[:16]}…)"
            elif result.identical:
                line += f" ({result.live[:16]}…)"
            if result.note:
                line += f" [{result.note}]"
            print(line, file=out)
        results.extend(service_results)
    return results


def scratch_server(url: str | None) -> tuple[str, Any]:
    """The scratch PostgreSQL server's URL, and what to stop after (None: the auditor's own)."""
    if url:
        return url, None
    folder = Path(tempfile.mkdtemp(prefix="cica-audit-"))
    server = LocalPostgres(folder / "pg", free_port(), fsync=False)
    server.start()
    return server.url, (server, folder)


# -------------------------------------------------------------------------------- as of

# Which time each kind of fact takes effect at, in the domain's own time: the event's field
# holding a date (on that calendar day) or an instant. An event with none takes the effective
# time of its cause (its causation_id, across services), and failing that its recorded_at.
EFFECTIVE_FIELDS: dict[str, tuple[str, ...]] = {
    "FoundingMemberRegistered": ("member_since", "member_on"),  # v1: member_since alone
    "AgendaAnnotated": ("circulated_on",),
    "MembershipApplied": ("applied_on",),
    "AdmissionRecommended": ("recommended_on",),
    "MemberAdmitted": ("admitted_on",),
    "MembershipSuspended": ("effective_on",),
    "MembershipReinstated": ("effective_on",),
    "MemberWithdrew": ("effective_on",),
    "ChairmanshipPeriodOpened": ("effective_on",),
    "ChairmanshipAssigned": ("effective_on",),
    "BodyEstablished": ("effective_on",),
    "BodyRenamed": ("effective_on",),
    "DraftCreated": ("dated",),
    "DraftRevised": ("dated",),
    "DocumentCirculated": ("dated",),
    "DocumentStatusChanged": ("decided_on",),
    "DecisionRecorded": ("decided_on",),
    "AgendaDrafted": ("circulated_on",),
    "AgendaRevised": ("circulated_on",),
    "AgendaAdopted": ("adopted_on",),
    "SilenceProcedureConcluded": ("concluded_at",),
    "NoteVerbaleIssued": ("dated",),
    "ReceiptAcknowledged": ("acknowledged_at",),
    "MemberStateAdmitted": ("admitted_on",),
    "MembershipNoted": ("effective_on",),
    "ParticipantRemoved": ("effective_on",),
}


@dataclass(frozen=True)
class Item:
    service: str
    event: dict[str, Any]

    @property
    def type(self) -> str:
        return str(self.event["event_type"])

    @property
    def data(self) -> dict[str, Any]:
        return self.event["data"]  # type: ignore[no-any-return]

    @property
    def id(self) -> str:
        return str(self.event["event_id"])

    @property
    def key(self) -> tuple[str, int]:
        return (self.service, int(self.event["position"]))

    @property
    def cause(self) -> str | None:
        return self.event["metadata"].get("causation_id")

    @property
    def recorded_at(self) -> datetime:
        return _instant(self.event["recorded_at"])


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


class History:
    """Every service's events, with each event's cause resolved.

    Event ids are unique within a service's log, not across logs: two services' reactions to
    one event may carry the same (derived) id. A causation_id is resolved to the event of that
    id recorded no later than its effect, preferring another service's (a reaction answers a
    foreign event), then the earliest."""

    def __init__(self, logs: dict[str, list[dict[str, Any]]]) -> None:
        self.items = [Item(s, e) for s, events in logs.items() for e in events]
        self.by_id: dict[str, list[Item]] = defaultdict(list)
        for item in self.items:
            self.by_id[item.id].append(item)
        self.delivered_by = _message_links(self.items)
        self.parent: dict[tuple[str, int], Item] = {}
        for item in self.items:
            parent = self._resolve(item)
            if parent is not None:
                self.parent[item.key] = parent

    def _resolve(self, item: Item) -> Item | None:
        if item.cause:
            candidates = [c for c in self.by_id.get(item.cause, []) if c.key != item.key]
            if candidates:
                return min(
                    candidates,
                    key=lambda c: (
                        c.recorded_at > item.recorded_at,
                        c.service == item.service,
                        c.recorded_at,
                    ),
                )
        return self.delivered_by.get(item.key)


def effective(item: Item, history: History, _depth: int = 0) -> date | datetime:
    """When the fact an event records took effect, in the domain's own time."""
    for name in EFFECTIVE_FIELDS.get(item.type, ()):
        value = item.data.get(name)
        if isinstance(value, str) and value:
            return _instant(value) if "T" in value else date.fromisoformat(value)
    cause = history.parent.get(item.key)
    if cause is not None and _depth < 50:
        return effective(cause, history, _depth + 1)
    return item.recorded_at


def known(moment: date | datetime, as_of: datetime) -> bool:
    """Is a fact that took effect at `moment` known at `as_of`? An instant counts from that
    instant. A date names a whole day, and an instant within that day cannot tell whether the
    fact had happened yet (the SOC recommended the Astana Statement on 11 October 2022, at some
    hour of its meeting): a date counts once its day is over, in the as-of instant's offset."""
    if isinstance(moment, datetime):
        return moment <= as_of
    return moment < as_of.date()


def parse_instant(text: str) -> datetime:
    """An ISO 8601 instant with an offset (``2022-10-11T12:00+06:00``); a bare date is the end
    of that day in UTC."""
    try:
        if "T" not in text:
            return datetime.combine(date.fromisoformat(text), datetime.max.time(), UTC)
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise AuditError(f"{text!r} is not an ISO 8601 instant") from None
    if value.tzinfo is None:
        raise AuditError(f"{text!r} needs an offset, e.g. 2022-10-11T12:00+06:00")
    return value


def _name(names: dict[str, str] | None) -> str:
    names = names or {}
    return names.get("en") or next(iter(names.values()), "")


def _meeting_start(data: dict[str, Any]) -> str:
    """A meeting's start: an instant when its time is known (``MeetingScheduled`` v1's
    ``starts_local``; v2's ``starts_on`` and ``starts_at_local``, with the zone's offset), else
    its first day (the Summit of 12-13 October 2022 has no time on record)."""
    if "starts_local" in data:  # v1
        local = datetime.fromisoformat(data["starts_local"])
    elif data.get("starts_at_local") is None or data.get("utc_offset_minutes") is None:
        return data["starts_on"]
    else:
        local = datetime.fromisoformat(f"{data['starts_on']}T{data['starts_at_local']}")
    offset = timedelta(minutes=int(data.get("utc_offset_minutes") or 0))
    return local.replace(tzinfo=timezone(offset)).isoformat()


def _started(starts: str, as_of: datetime) -> bool:
    """Has a meeting that starts at `starts` (an instant, or a day with no time on record)
    begun by `as_of`?"""
    if "T" in starts:
        return _instant(starts) <= as_of
    return known(date.fromisoformat(starts), as_of)


def _revision_symbol(base: str, revision: int) -> str:
    return f"{base}/Rev.{revision}" if revision else base


def state_as_of(
    logs: dict[str, list[dict[str, Any]]], as_of: datetime, *, recorded: bool = False
) -> dict[str, Any]:
    """The organisation's state at `as_of`: each event whose fact took effect by then (or,
    `recorded`, each event recorded by then), folded in log order per service.

    A member registered with no joining day (the registry's `FoundingMemberRegistered` v2
    without `member_since`) is a member from its `member_on`; before that day its membership
    is unknown, and it is listed under `unknown`, not counted among the members."""
    history = History(logs)
    members: dict[str, dict[str, Any]] = {}
    unknown: dict[str, dict[str, Any]] = {}
    applicants: dict[str, dict[str, Any]] = {}
    chairs: dict[str, str | None] = {}
    bodies: dict[str, str] = {}
    documents: dict[str, dict[str, Any]] = {}
    meetings: dict[str, dict[str, Any]] = {}
    decisions: list[dict[str, Any]] = []
    messages: dict[str, dict[str, Any]] = {}
    receipts: list[tuple[str, dict[str, Any]]] = []
    counted = 0
    for service, events in logs.items():
        for event in events:
            item = Item(service, event)
            when = item.recorded_at if recorded else effective(item, history)
            if item.type == "MeetingScheduled" and not recorded:
                when = date.min  # a meeting is shown once its agenda is out or it has begun
            if not known(when, as_of):
                if _joining_unknown(service, item) and not recorded:
                    unknown[item.data["state"]] = {
                        "name": _name(item.data.get("names")), "member_on": item.data["member_on"]
                    }  # fmt: skip
                continue
            counted += 1
            data, kind = item.data, item.type
            if service == "registry":
                if kind in ("FoundingMemberRegistered", "MemberAdmitted"):
                    since = data.get("member_since") or data.get("admitted_on")
                    members[data["state"]] = {
                        "name": _name(data.get("names")), "since": since, "status": "member"
                    }  # fmt: skip
                    if since is None:  # joined on a day no one has entered
                        members[data["state"]]["member_on"] = data["member_on"]
                    applicants.pop(data["state"], None)
                elif kind == "MembershipApplied":
                    applicants[data["state"]] = {
                        "name": _name(data.get("names")), "applied_on": data["applied_on"]
                    }  # fmt: skip
                elif kind == "MembershipSuspended" and data["state"] in members:
                    members[data["state"]]["status"] = "suspended"
                elif kind == "MembershipReinstated" and data["state"] in members:
                    members[data["state"]]["status"] = "member"
                elif kind == "MemberWithdrew":
                    members.pop(data["state"], None)
                elif kind == "ChairmanshipPeriodOpened":
                    chairs.setdefault(data["period"], None)
                elif kind == "ChairmanshipAssigned":
                    chairs[data["period"]] = data["chair"]
                elif kind in ("BodyEstablished", "BodyRenamed"):
                    bodies[data["body"]] = _name(data.get("names"))
            elif service == "documents":
                stream = event["stream_id"]
                if kind == "DraftCreated":
                    documents[stream] = {
                        "base": data["symbol"],
                        "revision": data.get("revision", 0),
                        "title": _name(data["text"].get("title")),
                        "status": "draft",
                        "distribution": data["distribution"],
                        "dated": data.get("dated") or event["recorded_at"][:10],
                        "languages": [data["language"]],
                    }
                elif stream in documents:
                    document = documents[stream]
                    if kind == "DraftRevised":
                        document["revision"] = data["revision"]
                        document["status"] = "draft"
                        document["dated"] = data.get("dated") or str(when)[:10]
                        document["languages"] = document["languages"][:1]
                    elif kind == "DocumentStatusChanged":
                        # A status is its revision's: one on a superseded revision stays there.
                        if data.get("revision", document["revision"]) == document["revision"]:
                            document["status"] = data["status"]
                    elif kind == "DistributionChanged":
                        document["distribution"] = data["distribution"]
                    elif (
                        kind == "TranslationAdded"
                        and data["revision"] == document["revision"]
                        and data["language"] not in document["languages"]
                    ):
                        document["languages"].append(data["language"])
            elif service == "meetings":
                if kind == "MeetingScheduled":
                    meetings[data["meeting_id"]] = {
                        "title": data["title"], "session": data["session"],
                        "body": data["body"], "agenda": None,
                        "participants": len(data.get("participants", [])),
                        "starts": _meeting_start(data),
                    }  # fmt: skip
                meeting = meetings.get(event["stream_id"].removeprefix("meeting-"))
                if meeting is not None:
                    if kind in ("AgendaDrafted", "AgendaRevised"):
                        meeting["agenda"] = {
                            "symbol": data["symbol"], "status": "circulated",
                            "on": data["circulated_on"], "items": len(data["items"]),
                        }  # fmt: skip
                    elif kind == "AgendaAdopted":
                        meeting["agenda"] = {
                            "symbol": data["symbol"], "status": "adopted",
                            "on": data["adopted_on"], "items": len(data["items"]),
                        }  # fmt: skip
                    elif kind == "AgendaAmendedByDecision" and meeting["agenda"]:
                        meeting["agenda"]["items"] = len(data["items"])
                        meeting["agenda"]["amended"] = True
                    elif kind == "ParticipantAdded":
                        meeting["participants"] += 1
                if kind == "DecisionRecorded":
                    decisions.append(
                        {
                            "decision_id": data["decision_id"], "body": data["body"],
                            "session": data["session"], "decided_on": data["decided_on"],
                            "item": data.get("item"), "outcome": data["outcome"],
                            "subject": data["subject"], "text": data["text"],
                        }
                    )  # fmt: skip
            elif service == "notifications":
                if kind == "NoteVerbaleIssued":
                    messages[data["note_id"]] = {
                        "kind": "note verbale", "reference": data["number"],
                        "dated": data["dated"], "recipients": len(data["recipients"]),
                        "receipts": {},
                    }  # fmt: skip
                elif kind == "NoticeIssued":
                    messages[data["notice_id"]] = {
                        "kind": f"notice ({data['kind']})", "reference": data.get("reference"),
                        "dated": str(when)[:10], "recipients": len(data["recipients"]),
                        "receipts": {},
                    }  # fmt: skip
                elif kind == "ReceiptAcknowledged":
                    receipts.append((data["message_id"], data))
    for message_id, data in receipts:
        if message_id in messages:
            messages[message_id]["receipts"][data["state"]] = data["acknowledged_at"]
    return {
        "as_of": as_of.isoformat(),
        "time": "recorded" if recorded else "effective",
        "events_counted": counted,
        "members": dict(sorted(members.items())),
        "unknown": dict(sorted(unknown.items())),
        "applicants": dict(sorted(applicants.items())),
        "chairs": dict(sorted(chairs.items())),
        "bodies": dict(sorted(bodies.items())),
        "documents": {
            _revision_symbol(d["base"], d["revision"]): {k: v for k, v in d.items() if k != "base"}
            for d in sorted(documents.values(), key=lambda d: d["base"])
        },
        "meetings": {
            meeting_id: meeting
            for meeting_id, meeting in meetings.items()
            if recorded or meeting["agenda"] or _started(meeting["starts"], as_of)
        },
        "decisions": decisions,
        "messages": messages,
    }


def _joining_unknown(service: str, item: Item) -> bool:
    """A member registered without a joining day: unknown before its `member_on`."""
    return (
        service == "registry"
        and item.type == "FoundingMemberRegistered"
        and not item.data.get("member_since")
        and bool(item.data.get("member_on"))
    )


def describe_state(state: dict[str, Any]) -> Iterable[str]:
    time = (
        "events recorded by then"
        if state["time"] == "recorded"
        else "facts in effect by then (the domain's own dates)"
    )
    yield f"As of {state['as_of']} ({time}; {state['events_counted']} events):"
    members = state["members"]
    yield f"  members: {len(members)}"
    for code, member in members.items():
        extra = "" if member["status"] == "member" else f" ({member['status']})"
        since = (
            f"since {member['since']}"
            if member["since"]
            else f"a member on {member['member_on']}, joining date unknown"
        )
        yield f"    {code}  {member['name']}, {since}{extra}"
    by_day: dict[str, list[str]] = defaultdict(list)
    for code, state_unknown in state.get("unknown", {}).items():
        by_day[state_unknown["member_on"]].append(code)
    for day, codes in sorted(by_day.items()):
        yield (
            f"  membership unknown: {len(codes)} members of unknown joining date known from "
            f"{day} on ({', '.join(codes)})"
        )
    for code, applicant in state["applicants"].items():
        yield f"  applicant: {code} {applicant['name']}, applied {applicant['applied_on']}"
    chairs = ", ".join(f"{p} {c or '____'}" for p, c in state["chairs"].items())
    yield f"  chairs: {chairs or 'none'}"
    yield f"  documents: {len(state['documents'])}"
    for symbol, document in state["documents"].items():
        yield (
            f"    {symbol}  {document['status']}, {document['distribution']['kind']}, dated "
            f"{document['dated']}, in {', '.join(document['languages'])}: {document['title']}"
        )
    yield f"  meetings: {len(state['meetings'])}"
    for meeting_id, meeting in state["meetings"].items():
        agenda = meeting["agenda"]
        shown = (
            f"agenda {agenda['symbol']} {agenda['status']} on {agenda['on']}"
            if agenda
            else "no agenda"
        )
        yield f"    {meeting_id}  {meeting['title']}: {shown}"
    yield f"  decisions: {len(state['decisions'])}"
    for decision in state["decisions"]:
        subject = decision["subject"]
        about = subject.get("symbol") or subject.get("state") or subject.get("kind")
        yield (
            f"    {decision['decided_on']} {decision['session']} item {decision['item']}: "
            f"{decision['outcome']} ({about})"
        )
    yield f"  notes and notices: {len(state['messages'])}"
    for message in state["messages"].values():
        yield (
            f"    {message['kind']} {message['reference']} of {message['dated']} to "
            f"{message['recipients']}: {len(message['receipts'])} receipts"
            + (f" ({', '.join(sorted(message['receipts']))})" if message["receipts"] else "")
        )


# -------------------------------------------------------------------------------- trace


@dataclass
class Node:
    item: Item
    link: str  # how it hangs on its parent: "caused", "delivery of", "root"
    children: list[Node] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        event = self.item.event
        return {
            "service": self.item.service,
            "position": event["position"],
            "event_id": self.item.id,
            "event_type": self.item.type,
            "stream_id": event["stream_id"],
            "recorded_at": event["recorded_at"],
            "link": self.link,
            "effects": [child.as_json() for child in self.children],
        }


def _message_links(items: list[Item]) -> dict[tuple[str, int], Item]:
    """Deliveries and receipts carry no causation_id: each event of a delivery stream is
    linked to the message (note verbale or notice) the stream's `message_id` names."""
    messages: dict[str, Item] = {}
    stream_message: dict[str, str] = {}
    for item in items:
        if item.service != "notifications":
            continue
        if item.type == "NoteVerbaleIssued":
            messages[str(item.data["note_id"])] = item
        elif item.type == "NoticeIssued":
            messages[str(item.data["notice_id"])] = item
        if "message_id" in item.data:
            stream_message.setdefault(item.event["stream_id"], str(item.data["message_id"]))
    links = {}
    for item in items:
        if item.service == "notifications" and item.cause is None:
            message = messages.get(stream_message.get(item.event["stream_id"], ""))
            if message is not None:
                links[item.key] = message
    return links


def find(history: History, event: str) -> Item:
    """The event `event` names: its id, or SERVICE:ID when ids collide, or SERVICE#POSITION."""
    service, _, rest = event.rpartition(":") if ":" in event else ("", "", event)
    if "#" in event:
        service, _, position = event.partition("#")
        found = [i for i in history.items if i.key == (service, int(position or 0))]
    else:
        found = [i for i in history.by_id.get(rest, []) if not service or i.service == service]
    if not found:
        raise AuditError(f"no service's log holds an event {event}")
    if len(found) > 1:
        names = ", ".join(f"{i.service}:{i.id}" for i in found)
        raise AuditError(f"{event} names more than one event; say which: {names}")
    return found[0]


def trace(logs: dict[str, list[dict[str, Any]]], event_id: str) -> tuple[list[Item], Node]:
    """The causes of the event (the root cause first) and the tree of its effects."""
    history = History(logs)
    start = find(history, event_id)
    effects: dict[tuple[str, int], list[Item]] = defaultdict(list)
    for item in history.items:
        parent = history.parent.get(item.key)
        if parent is not None:
            effects[parent.key].append(item)
    causes: list[Item] = []
    seen = {start.key}
    current = start
    while (parent := history.parent.get(current.key)) is not None and parent.key not in seen:
        causes.insert(0, parent)
        seen.add(parent.key)
        current = parent

    def grow(node: Node) -> None:
        for child in sorted(
            effects.get(node.item.key, []),
            key=lambda c: (c.recorded_at, c.service, c.event["position"]),
        ):
            link = "caused" if child.cause else "delivery of"
            sub = Node(child, link)
            node.children.append(sub)
            grow(sub)

    root = Node(start, "root")
    grow(root)
    return causes, root


def _line(item: Item) -> str:
    event = item.event
    return (
        f"{item.service}#{event['position']} {item.type} [{event['stream_id']}] "
        f"{event['recorded_at']}"
    )


def describe_trace(causes: list[Item], root: Node) -> Iterable[str]:
    if causes:
        yield "caused by:"
        for depth, item in enumerate(causes):
            yield "  " * (depth + 1) + _line(item)
    yield "event:"
    yield "  " + _line(root.item)
    if root.children:
        yield "effects:"

    def walk(node: Node, depth: int) -> Iterable[str]:
        for child in node.children:
            link = "" if child.link == "caused" else f" ({child.link} the message)"
            yield "  " * depth + "└ " + _line(child.item) + link
            yield from walk(child, depth + 1)

    yield from walk(root, 1)


def count(node: Node) -> int:
    return sum(1 + count(child) for child in node.children)


# --------------------------------------------------------------------- the command line


async def run_history_command(
    args: Any, clients: dict[str, httpx.AsyncClient], out: TextIO | None = None
) -> int:
    out = out or sys.stdout
    progress = Progress()
    if args.audit_command == "replay":
        server_url, started = await asyncio.to_thread(scratch_server, args.scratch_database_url)
        try:
            results = await replay_services(clients, server_url, progress=progress, out=out)
        finally:
            if started is not None:
                server, folder = started
                await asyncio.to_thread(server.stop)
                shutil.rmtree(folder, ignore_errors=True)
        bad = [r for r in results if not r.identical]
        print(
            f"{len(results) - len(bad)} of {len(results)} projections identical"
            + ("" if not bad else f"; {len(bad)} not"),
            file=out,
        )
        return 1 if bad else 0
    logs = await fetch_all(clients, progress)
    if args.audit_command == "state":
        state = state_as_of(logs, parse_instant(args.as_of), recorded=args.recorded)
        if args.json:
            print(json.dumps(state, ensure_ascii=False, indent=1, default=str), file=out)
        else:
            for line in describe_state(state):
                print(line, file=out)
        return 0
    causes, root = trace(logs, args.event_id)
    if args.json:
        document = {"causes": [Node(c, "cause").as_json() for c in causes], "event": root.as_json()}
        print(json.dumps(document, indent=1), file=out)
    else:
        for line in describe_trace(causes, root):
            print(line, file=out)
        print(f"{len(causes)} causes, {count(root)} effects", file=out)
    return 0


def add_history_parsers(audit_commands: Any) -> list[Any]:
    """`replay`, `state` and `trace` on `cica audit`'s subparsers; the parsers made."""
    replay = audit_commands.add_parser(
        "replay",
        help="fold every service's log into fresh read models and compare their digests with "
        "the live ones; exit 1 on any difference",
    )
    replay.add_argument(
        "--scratch-database-url",
        metavar="URL",
        help="a PostgreSQL server of your own to replay into (a database is made and dropped "
        "per service); default: one started here in a temporary directory",
    )
    state = audit_commands.add_parser(
        "state",
        help="what the organisation knew at an instant: members, chairs, documents, agendas, "
        "decisions, notes and receipts",
    )
    state.add_argument(
        "--as-of", required=True, metavar="INSTANT", help="e.g. 2022-10-11T12:00+06:00"
    )
    state.add_argument(
        "--recorded",
        action="store_true",
        help="recording time: the events recorded by the instant, rather than the facts in "
        "effect by then (dates the events carry: admitted_on, dated, decided_on, ...)",
    )
    state.add_argument("--json", action="store_true", help="the state as JSON")
    trace_parser = audit_commands.add_parser(
        "trace", help="an event's causes and effects across every service, as a tree"
    )
    trace_parser.add_argument(
        "event_id",
        help="the event's id (event_id in /events); SERVICE:ID when two services' events share "
        "it, or SERVICE#POSITION",
    )
    trace_parser.add_argument("--json", action="store_true", help="the tree as JSON")
    return [replay, state, trace_parser]
