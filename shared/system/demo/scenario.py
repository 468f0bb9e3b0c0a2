"""The October 2022 scenario (the seed documents, the repository's `seed/`), step by step,
through the services' public HTTP APIs only.

Each step reads first and writes only what is missing, with a deterministic Idempotency-Key, so
a second run records nothing. Order matters where one service learns from another: Kuwait's
application is in the registry, and the documents are in the documents service, before the
meetings service records the decisions on them (their reactions follow those decisions).

Every write says where its facts come from (`sources`: the ``CICA-Source`` each event keeps in
its metadata): the seed where it holds them, word for word; what the project inferred from it,
and how; what the demo plays out after 7 October 2022, the seed's date, as an example; and
what no source in the project holds (which states the 27 were, their names) as unverified. The
demo makes up no text, no date and no position: the SOC's and the Summit's decisions are those
the annotated agenda and the draft conclusions foresee, on the days of the meetings.

The texts and facts come from the services' own seed modules; what they do not hold (the
chairmanship periods, the priority area of item 4(a)) is set out here.

The notifications service's steps are in their own section below: the member states as
recipients, the register of notes that SOC/OI and IO share, the notes the agenda cites
(SOC/OI/88, IO/1256) on record, note verbale SOC/OI/1280 with its enclosures to the 27, the
notice of Kuwait's admission to the 28, and, given a base URL (`cica demo --ministries URL`),
each ministry's webhook endpoint at `URL/<STATE>` and the deliveries to it.
`cica demo --no-notifications` leaves them out, for a system run without that service.
"""

from __future__ import annotations

import json
import os
import sys
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from services.documents.seed import (
    astana_rev8_russian,
    astana_rev8_text,
    conclusions_text,
    explanatory_note,
)
from services.meetings.seed import (
    ADOPT_ASTANA_STATEMENT,
    APPROVE_KYRGYZSTAN,
    RECOMMEND_ASTANA_STATEMENT,
    RECOMMEND_CICA_FUND,
    RECOMMEND_ICT_STATEMENT,
    RECOMMEND_KUWAIT,
    SOC_AGENDA_ANNOTATED,
    SOC_AGENDA_DRAFT,
    SOC_MEETING,
    SUMMIT_DECISIONS,
    SUMMIT_MEETING,
)
from services.notifications.events import NoticeKind
from services.notifications.seed import ISSUE_1280, NOTE_1280, NOTES_ON_RECORD, REGISTER_2022
from services.notifications.seed import MEMBER_STATES_2022 as NOTE_RECIPIENTS
from services.registry.seed import (
    BODIES_NAMED_ON,
    KUWAIT,
    KUWAIT_APPLICATION_NOTE,
    MEMBER_STATES_2022,
    MEMBERS_ON,
    ORGANISATION,
    RENAMINGS,
)
from services.registry.seed import SOC as SOC_NAMES
from services.registry.seed import SWG as SWG_NAMES
from shared.system.demo import sources
from shared.system.demo.client import DemoClient, DemoError
from shared.system.services import SERVICE_NAMES as SERVICES

NAMESPACE = uuid.UUID("5b0f1c3e-2a7d-4c1e-9f00-0c1ca2022001")
"""Ids the demo makes up (the ministries' endpoints) are uuid5 in this namespace: the same on
every run."""

CHAIRMANSHIP_PERIODS = ("2022-2024", "2024-2026")
"""The periods the Summit decides (draft conclusions, paragraph 5: "CICA Chairmanships of
Kazakhstan in 2022-2024 and ____ in 2024-2026"): opened on the day of its decisions, the chair
of 2022-2024 by that decision (`CHAIRMANSHIP_KAZAKHSTAN`), the chair of 2024-2026 still open."""
SUMMIT_DECIDES_ON = "2022-10-12"

BODIES: dict[str, tuple[dict[str, str], str]] = {
    "CICA": (ORGANISATION, sources.ORGANISATION),
    **{code: (old, sources.OLD_NAMES) for code, (old, _new) in RENAMINGS.items()},
    "SOC": (SOC_NAMES, sources.SOC),
    "SWG": (SWG_NAMES, sources.SWG),
}
"""The organisation, its bodies and titles as the seed names them on 7 October 2022 (since
when, it does not say), with where each name comes from; the Summit renames three of them (OP5
of the Astana Statement, see `RENAMINGS`)."""

TRADE_AND_INVESTMENT: dict[str, Any] = {
    "area": "trade-and-investment",
    "dimension": "economic",
    "names": {"en": "Trade and Investment"},
    "effective_on": "2022-10-07",
}
"""The priority area of item 4(a) ("Approval of Kyrgyzstan as Co-coordinator in the priority
area "Trade and Investment""), as the annotated agenda names it on 7 October 2022; its
dimension, economic, is the project's reading (the agenda names none)."""
TRADE_AND_INVESTMENT_SOURCE = sources.inferred(
    sources.AGENDA_2, "item 4(a)",
    "The area as the agenda names it on its date; its dimension (economic) is the project's "
    "reading: the agenda names none",
)

MEETINGS = ((SOC_MEETING, sources.SOC_MEETING), (SUMMIT_MEETING, sources.SUMMIT_MEETING))
SOC = SOC_MEETING["session"].replace("/", "-")
SUMMIT = SUMMIT_MEETING["session"].replace("/", "-")
ASTANA = "SUM/2022/DRAFT/1/Rev.8"
KUWAIT_DRAFT_DECISION = "SUM/2022/DRAFT/4"
CONCLUSIONS = "SUM/2022/DRAFT/5"


def _decision_id(name: str) -> str:
    return str(uuid.uuid5(NAMESPACE, name))


DOCUMENT_TYPES = {
    "SUM/2022/DRAFT/1": "statement",
    "SUM/2022/DRAFT/2": "regulations",
    "SUM/2022/DRAFT/3": "statement",
    "SUM/2022/DRAFT/4": "decision",
    "SUM/2022/DRAFT/5": "conclusions",
    "SOC/2021/DRAFT/3": "plan_of_action",
}
TITLES = {KUWAIT_DRAFT_DECISION: "Draft decision on accession of Kuwait to CICA as a Member State"}
"""A title the agenda gives in its words rather than as a heading: item 2's "the draft
decision on accession of Kuwait to CICA as a Member State (document SUM/2022/DRAFT/4 of
5 October 2022)"."""
ORIGINATORS = {ASTANA: "Chairmanship of Kazakhstan", CONCLUSIONS: "Chairmanship of Kazakhstan"}
"""Who issued a text, where the seed names it: the heading of each of these two texts. The
others' originators are not in the seed, and the demo states none."""
CIRCULATED_BY_1280 = (ASTANA, CONCLUSIONS)
"""The texts note verbale SOC/OI/1280 of 7 October 2022 forwarded to the member states (its
enclosures: "Draft Astana Statement on CICA Transformation (Revision 8); Draft Conclusions of
the Sixth CICA Summit and Explanatory Note"; the Explanatory Note has no symbol of its own and
is recorded as a companion text of SUM/2022/DRAFT/5)."""
CIRCULATED_ON = "2022-10-07"
CIRCULATED = f"{', '.join(CIRCULATED_BY_1280)} circulated by {NOTE_1280}"


def base_of(symbol: str) -> str:
    return symbol.split("/Rev.")[0]


def agenda_documents() -> list[tuple[str, str, str, str]]:
    """(symbol, title, date, item) of every document the SOC's agenda considers, in its
    order."""
    found = []
    for item in SOC_AGENDA_DRAFT["items"]:
        entries = [(item, item["number"])] + [
            (sub, f"{item['number']}({sub['letter']})") for sub in item.get("sub_items", [])
        ]
        for entry, ref in entries:
            for document in entry.get("considers", []):
                symbol = document["symbol"]
                found.append(
                    (symbol, TITLES.get(symbol, entry["title"]), document["dated"], ref)
                )
    return found


def document_text(symbol: str, title: str) -> dict[str, Any]:
    """The full text where the seed holds it (Rev.8, the conclusions); else the title alone:
    the demo invents no paragraph."""
    if symbol == ASTANA:
        return astana_rev8_text(("en",))
    if symbol == CONCLUSIONS:
        return conclusions_text()
    return {"title": {"en": title}}


def document_source(symbol: str, item: str) -> str:
    if symbol == ASTANA:
        return sources.REV_8_TEXT
    if symbol == CONCLUSIONS:
        return sources.CONCLUSIONS_TEXT
    return sources.document_listed(f"item {item}")


# ------------------------------------------------------------------------------ the steps


@dataclass(frozen=True)
class Step:
    service: str
    title: str
    run: Callable[[DemoClient], str]
    """Does what is missing; says what it did ("already there" when nothing)."""


def _done(recorded: list[str]) -> str:
    return "recorded " + ", ".join(recorded) if recorded else "already there"


def known_members(client: DemoClient) -> str:
    listed = client.read("registry", "/member-states", params={"effective": MEMBERS_ON})
    known = {state["code"] for state in listed["member_states"]}
    missing = [code for code in MEMBER_STATES_2022 if code not in known]
    if not missing:
        return "already there (27)"
    body = {
        "members": [
            {"state": code, "names": MEMBER_STATES_2022[code], "member_on": MEMBERS_ON.isoformat()}
            for code in missing
        ]
    }  # fmt: skip
    client.post("registry", "/member-states/known-members", body, step="known-members",
                source=sources.MEMBERS_ON_7_OCTOBER)  # fmt: skip
    return (
        f"recorded {len(missing)} member states on {MEMBERS_ON} (joining days unknown; "
        "names in en, ru, kk)"
    )


def bodies(client: DemoClient) -> str:
    recorded = []
    for code, (names, source) in BODIES.items():
        if client.find("registry", f"/bodies/{code}") is None:
            body = {"code": code, "names": names, "effective_on": BODIES_NAMED_ON.isoformat()}
            client.post("registry", "/bodies", body, step=f"body-{code}", source=source)
            recorded.append(code)
    return _done(recorded)


def chairmanship_periods(client: DemoClient) -> str:
    recorded = []
    for period in CHAIRMANSHIP_PERIODS:
        if client.find("registry", f"/chairmanships/{period}") is None:
            body = {"period": period, "effective_on": SUMMIT_DECIDES_ON}
            client.post("registry", "/chairmanships", body, step=f"chairmanship-{period}",
                        source=sources.SUMMIT_DECIDES)  # fmt: skip
            recorded.append(f"period {period}")
    return _done(recorded)


def priority_area(client: DemoClient) -> str:
    area = TRADE_AND_INVESTMENT["area"]
    listed = client.read("registry", "/coordinators")["priority_areas"]
    if any(a["area"] == area for a in listed):
        return "already there"
    client.post("registry", "/priority-areas", TRADE_AND_INVESTMENT, step=f"area-{area}",
                source=TRADE_AND_INVESTMENT_SOURCE)  # fmt: skip
    return f"recorded the priority area {TRADE_AND_INVESTMENT['names']['en']!r}"


def kuwait_applies(client: DemoClient) -> str:
    if client.find("registry", "/member-states/KWT") is not None:
        return "already there"
    body = {"names": KUWAIT, "applied_on": KUWAIT_APPLICATION_NOTE["dated"],
            "application_note": KUWAIT_APPLICATION_NOTE}  # fmt: skip
    client.post("registry", "/member-states/KWT/application", body, step="kuwait-applies",
                source=sources.KUWAIT_APPLIES)  # fmt: skip
    return "recorded Kuwait's application (note verbale SOC/OI/88 of 3 February 2022)"


def meetings_members(client: DemoClient) -> str:
    """The meetings service learns the member states from the registry's events (there is
    no other way in): wait until it counts the 27 on the day the sources show them."""
    on = MEMBERS_ON.isoformat()
    waited = client.wait_for(
        "the meetings service counts the 27 member states the registry recorded",
        lambda: client.read("meetings", "/member-states", params={"on": on})["count"] >= 27,
    )
    return f"the 27 member states, from the registry ({waited:.1f}s)"


def schedule_meetings(client: DemoClient) -> str:
    recorded = []
    for meeting, source in MEETINGS:
        meeting_id = meeting["session"].replace("/", "-")
        if client.find("meetings", f"/meetings/{meeting_id}") is None:
            client.post("meetings", "/meetings", meeting, step=f"meeting-{meeting_id}",
                        source=source)  # fmt: skip
            recorded.append(meeting_id)
    return _done(recorded)


def _agenda(client: DemoClient, meeting_id: str) -> dict[str, Any] | None:
    return client.find("meetings", f"/meetings/{meeting_id}/agenda")


def circulate_agenda(meeting_id: str, draft: dict[str, Any]) -> Callable[[DemoClient], str]:
    def run(client: DemoClient) -> str:
        if _agenda(client, meeting_id) is not None:
            return "already there"
        client.post("meetings", f"/meetings/{meeting_id}/agenda", draft,
                    step=f"agenda-{draft['symbol']}", source=sources.AGENDA_1)  # fmt: skip
        return f"circulated {draft['symbol']} on {draft['circulated_on']} (items inferred)"

    return run


def annotate_soc_agenda(client: DemoClient) -> str:
    """The draft annotated agenda, its own document: it annotates Agenda/1, which keeps its
    items and its symbol ("was not revised")."""
    agenda = _agenda(client, SOC)
    symbol = SOC_AGENDA_ANNOTATED["symbol"]
    if agenda is not None and any(a["symbol"] == symbol for a in agenda["annotated"]):
        return "already there"
    client.post("meetings", f"/meetings/{SOC}/agenda/annotations", SOC_AGENDA_ANNOTATED,
                step=f"agenda-{symbol}", source=sources.ANNOTATIONS)  # fmt: skip
    return f"circulated {symbol} on {SOC_AGENDA_ANNOTATED['circulated_on']}, annotating it"


def adopt_agenda(meeting_id: str, adopted_on: str) -> Callable[[DemoClient], str]:
    def run(client: DemoClient) -> str:
        agenda = _agenda(client, meeting_id)
        if agenda is not None and agenda["status"] == "adopted":
            return "already there"
        client.post("meetings", f"/meetings/{meeting_id}/agenda/adoption",
                    {"adopted_on": adopted_on}, step=f"adoption-{meeting_id}",
                    source=sources.AGENDA_ADOPTED)  # fmt: skip
        return f"adopted on {adopted_on}"

    return run


def import_documents(client: DemoClient) -> str:
    recorded = []
    for symbol, title, dated, item in agenda_documents():
        base = base_of(symbol)
        if client.find("documents", f"/documents/{base}") is not None:
            continue
        series = base.rsplit("/", 1)[0]
        body = {"series": series, "document_type": DOCUMENT_TYPES[base], "language": "en",
                "text": document_text(symbol, title), "symbol": symbol, "dated": dated,
                "distribution": {"kind": "member_states_only"}}  # fmt: skip
        if symbol in ORIGINATORS:
            body["originator"] = ORIGINATORS[symbol]
        client.post("documents", "/documents", body, step=f"import-{symbol}",
                    source=document_source(symbol, item))  # fmt: skip
        recorded.append(symbol)
    return _done(recorded)


def record_explanatory_note(client: DemoClient) -> str:
    path = f"/documents/{CONCLUSIONS}/companions"
    if client.find("documents", f"{path}/explanatory_note") is not None:
        return "already there"
    client.post("documents", path, explanatory_note(), step=f"explanatory-note-{CONCLUSIONS}",
                source=sources.EXPLANATORY_NOTE)  # fmt: skip
    return f"recorded the Explanatory Note with {CONCLUSIONS} (no symbol of its own)"


def circulate_by_note_1280(client: DemoClient) -> str:
    """Record the circulation of SOC/OI/1280's enclosures on the note's date."""
    recorded = []
    for symbol in CIRCULATED_BY_1280:
        document = client.read("documents", f"/documents/{base_of(symbol)}")
        if any(c["symbol"] == symbol for c in document["circulations"]):
            continue
        client.post("documents", f"/documents/{symbol}/circulation",
                    {"dated": CIRCULATED_ON, "note": NOTE_1280}, step=f"circulate-{symbol}",
                    source=sources.CIRCULATED)  # fmt: skip
        recorded.append(symbol)
    return _done(recorded)


def translate_astana_statement(client: DemoClient) -> str:
    base = base_of(ASTANA)
    versions = client.read("documents", f"/documents/{base}/translations")["versions"]
    body = astana_rev8_russian()
    if any(v["language"] == "ru" and v["revision"] >= body["revision"] for v in versions):
        return "already there"
    client.post("documents", f"/documents/{base}/translations", body, step=f"ru-{ASTANA}",
                source=sources.RUSSIAN_REV_8)  # fmt: skip
    return f"recorded the project's unofficial Russian translation of {ASTANA}"


def record_decisions(
    meeting_id: str, source: str, *decisions: dict[str, Any]
) -> Callable[[DemoClient], str]:
    def run(client: DemoClient) -> str:
        taken = client.read("meetings", f"/meetings/{meeting_id}/decisions")["decisions"]
        ids = {d["decision_id"] for d in taken}
        recorded = []
        for decision in decisions:
            if decision["decision_id"] not in ids:
                client.post("meetings", f"/meetings/{meeting_id}/decisions", decision,
                            step=f"decision-{decision['decision_id']}", source=source)  # fmt: skip
                where = decision.get("item") or (
                    f"paragraph {decision['recorded_in']['paragraph']} of "
                    f"{decision['recorded_in']['symbol']}"
                )
                recorded.append(f"{where} {decision['outcome']}")
        return _done(recorded)

    return run


def _summit_decision_ref(decision: dict[str, Any]) -> dict[str, Any]:
    return {"decision_id": decision["decision_id"], "body": "SUMMIT",
            "session": SUMMIT_MEETING["session"], "decided_on": decision["decided_on"],
            "outcome": decision["outcome"]}  # fmt: skip


def rename_bodies(client: DemoClient) -> str:
    recorded = []
    for code, (_old, new) in RENAMINGS.items():
        body_now = client.read("registry", f"/bodies/{code}")
        if any(fact["fact"] == "renamed" for fact in body_now["history"]):
            continue
        body = {"names": new, "effective_on": ADOPT_ASTANA_STATEMENT["decided_on"],
                "decision": _summit_decision_ref(ADOPT_ASTANA_STATEMENT)}  # fmt: skip
        client.post("registry", f"/bodies/{code}/renamings", body, step=f"rename-{code}",
                    source=sources.RENAMED)  # fmt: skip
        recorded.append(f"{code} → {new['en']}")
    return _done(recorded)


def _members_of(client: DemoClient) -> set[str]:
    return {s["code"] for s in client.read("registry", "/members")["member_states"]}


def _chair_of(client: DemoClient, period: str) -> str | None:
    return client.read("registry", f"/chairmanships/{period}")["chair"]


def reactions_followed(client: DemoClient) -> str:
    """Wait (bounded) for what the decisions cause elsewhere: the registry admits Kuwait, makes
    Kazakhstan chair of 2022-2024 and Kyrgyzstan co-coordinator; the meetings service counts
    Kuwait among the participants; the documents service follows the SOC's recommendation and
    the Summit's adoption of the Astana Statement."""
    waited = client.wait_for(
        "the registry admits Kuwait (MemberAdmitted, following the Summit's decision)",
        lambda: "KWT" in _members_of(client),
    )
    waited += client.wait_for(
        "the registry records Kazakhstan's chairmanship 2022-2024 (the Summit's decision)",
        lambda: _chair_of(client, "2022-2024") == "KAZ",
    )
    waited += client.wait_for(
        "the meetings service counts 28 member states",
        lambda: client.read("meetings", "/member-states")["count"] == 28,
    )
    waited += client.wait_for(
        "Kuwait takes part in the Summit that admitted it",
        lambda: "KWT" in client.read("meetings", f"/meetings/{SUMMIT}")["participants"],
    )
    waited += client.wait_for(
        f"the documents service records {ASTANA} as adopted by the Summit",
        lambda: client.read("documents", f"/documents/{base_of(ASTANA)}")["status"] == "adopted",
    )
    if client.get("notifications", "/member-states").status_code == 200:
        waited += client.wait_for(
            "the notifications service counts Kuwait among the recipients",
            lambda: (
                "KWT"
                in {
                    s["state"]
                    for s in client.read("notifications", "/member-states")["member_states"]
                }
            ),
        )
    return (
        f"registry 28 members, Kazakhstan chair 2022-2024; meetings 28 participants; {ASTANA} "
        f"adopted ({waited:.1f}s)"
    )


SOC_DECIDES = (
    "the SOC recommends Kuwait's admission and the drafts of item 3, approves Kyrgyzstan "
    "(illustrative: the seed is of 7 October)"
)

STEPS: list[Step] = [
    Step("registry", "27 member states on 7 October 2022 (joining days unknown)",
         known_members),
    Step("registry", "the organisation, its bodies and titles, as the seed names them", bodies),
    Step("registry", "the chairmanship periods the Summit decides (2024-2026 still open)",
         chairmanship_periods),
    Step("registry", "the priority area of item 4(a)", priority_area),
    Step("registry", "Kuwait's application for membership", kuwait_applies),
    Step("meetings", "the 27 member states as the meetings service counts them",
         meetings_members),
    Step("meetings", "the SOC and Summit sessions, as the agenda dates them", schedule_meetings),
    Step("meetings", f"the SOC's draft agenda {SOC_AGENDA_DRAFT['symbol']}",
         circulate_agenda(SOC, SOC_AGENDA_DRAFT)),
    Step("meetings", f"the SOC's draft annotated agenda {SOC_AGENDA_ANNOTATED['symbol']}",
         annotate_soc_agenda),
    Step("meetings", "the SOC adopts its agenda", adopt_agenda(SOC, "2022-10-10")),
    Step("documents", "the documents of the agenda, imported at their revisions",
         import_documents),
    Step("documents", f"the Explanatory Note on {CONCLUSIONS}", record_explanatory_note),
    Step("documents", f"the unofficial Russian translation of {ASTANA}",
         translate_astana_statement),
    Step("documents", CIRCULATED, circulate_by_note_1280),
    Step("meetings", SOC_DECIDES,
         record_decisions(SOC, sources.SOC_DECIDES, RECOMMEND_KUWAIT, RECOMMEND_CICA_FUND,
                          RECOMMEND_ICT_STATEMENT, RECOMMEND_ASTANA_STATEMENT,
                          APPROVE_KYRGYZSTAN)),
    Step("meetings", "the Summit's decisions as its draft conclusions record them",
         record_decisions(SUMMIT, sources.SUMMIT_DECIDES, *SUMMIT_DECISIONS)),
    Step("registry", "the Summit's renamings (OP5 of the Astana Statement)", rename_bodies),
    Step("all", "what follows in every service", reactions_followed),
]  # fmt: skip


# ------------------------------------------------------------------------------ notifications
#
# The notifications service's steps (`scenario(notifications=True)`, what `cica demo` runs
# unless told --no-notifications): the 27 member states as recipients, the series SOC/OI and
# note verbale SOC/OI/1280 of 7 October 2022 to the 27, before the SOC's decisions (a note to
# all members goes to the members at its issue); after the Summit, the notice of Kuwait's
# admission to the 28.
#
# With a base URL for the ministries (`cica demo --ministries URL`), each member state's ministry
# gets a webhook endpoint at `URL/<STATE>` (Kuwait's once it is admitted), registered by the
# Secretariat on its behalf, for every kind of message. The service sends an endpoint only what
# is issued after its registration; what its state was sent before it had any endpoint (the
# notice of the SOC's agenda, Kuwait's own admission, or everything when an earlier run had no
# --ministries) is sent to it by redelivery, once the notice has reached the service. Each
# endpoint's signing secret is in the answer to its registration only: the demo keeps it in the
# `--ministry-secrets` file, if given, for the ministry to verify its webhooks with. The
# service takes http and loopback addresses only in development
# (CICA_NOTIFICATIONS_ALLOW_PRIVATE_ENDPOINTS=true); else an https URL on a public address.

ALL_KINDS = [kind.value for kind in NoticeKind]
UNSETTLED = ("pending", "attempting", "failed")


def notifications_members(client: DemoClient) -> str:
    """The notifications service learns the founding members from the registry's events:
    wait until it counts the 27 as recipients."""

    def known() -> set[str]:
        listed = client.read("notifications", "/member-states")
        return {state["state"] for state in listed["member_states"]}

    waited = client.wait_for(
        "the notifications service counts the 27 member states the registry recorded",
        lambda: set(NOTE_RECIPIENTS) <= known(),
    )
    return f"the 27 member states as recipients, from the registry ({waited:.1f}s)"


def ministry_languages(state: str) -> list[str]:
    """What a ministry reads the notes in: English and Russian, and Kazakh for Kazakhstan."""
    return ["en", "ru", "kk"] if state == "KAZ" else ["en", "ru"]


def save_secrets(path: Path, secrets: dict[str, str]) -> None:
    """Add `secrets` (state → whsec_...) to the JSON file at `path`, readable by its owner
    only: each was shown once, by the endpoint's registration."""
    try:
        kept = json.loads(path.read_text())
    except FileNotFoundError:
        kept = {}
    except (OSError, ValueError) as error:
        raise DemoError(f"cannot read the ministries' secrets in {path}: {error}") from None
    kept.update(secrets)
    path.parent.mkdir(parents=True, exist_ok=True)
    written = path.with_name(path.name + ".new")
    descriptor = os.open(written, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as file:
        os.fchmod(file.fileno(), 0o600)
        json.dump(dict(sorted(kept.items())), file, indent=2)
        file.write("\n")
    os.replace(written, path)


def _register_ministry(
    client: DemoClient, state: str, base_url: str, secrets_file: Path | None
) -> int | None:
    """Register `state`'s ministry at `base_url/<state>` unless it is there; then send it,
    by redelivery, what its state was sent while it had no endpoint. None when it was there,
    else how many deliveries were sent again."""
    url = f"{base_url.rstrip('/')}/{state}"
    listed = client.read_all("notifications", "/endpoints", "endpoints", params={"state": state})
    if any(endpoint["url"] == url for endpoint in listed):
        return None
    earlier: list[dict[str, Any]] = []
    if not listed:  # never sent to any endpoint, and no endpoint will take them
        pending = _deliveries(client, state=state, status="pending")
        earlier = [d for d in pending if d["attempts"] == 0]
    body = {"state": state, "url": url, "languages": ministry_languages(state),
            "kinds": ALL_KINDS, "endpoint_id": _decision_id(f"endpoint {state} {url}")}  # fmt: skip
    registered = client.post("notifications", "/endpoints", body, step=f"endpoint-{state}",
                             source=sources.MINISTRIES)
    if secrets_file is not None:
        save_secrets(secrets_file, {state: registered["secret"]})
    for delivery in earlier:
        client.post(
            "notifications",
            f"/deliveries/{delivery['delivery_id']}/redeliver",
            {"reason": "Sent before the ministry had an endpoint."},
            step=f"redeliver-{delivery['delivery_id']}",
            source=sources.MINISTRIES,
        )
    return len(earlier)


def soc_agenda_noticed(client: DemoClient) -> bool:
    """Whether the notice of the SOC's agenda adoption (a reaction to the meetings service's
    event) has reached the notifications service."""
    symbols = {SOC_AGENDA_DRAFT["symbol"], SOC_AGENDA_ANNOTATED["symbol"]}
    notices = client.read("notifications", "/notices", params={"kind": "agenda_adopted"})
    return any(notice["reference"] in symbols for notice in notices["notices"])


def register_ministries(
    states: Sequence[str],
    base_url: str,
    secrets_file: Path | None,
    *,
    after: tuple[str, Callable[[DemoClient], bool]] | None = None,
) -> Callable[[DemoClient], str]:
    """Register the `states`' ministries, `after` the notice that must reach the service first
    (so that it is sent again to them, not left unsent between the two)."""

    def run(client: DemoClient) -> str:
        if after is not None:
            what, check = after
            client.wait_for(what, lambda: check(client))
        registered, resent = [], 0
        for state in states:
            outcome = _register_ministry(client, state, base_url, secrets_file)
            if outcome is not None:
                registered.append(state)
                resent += outcome
        if not registered:
            return f"already there ({len(states)})"
        said = (
            f"registered {len(registered)} endpoint{'s' if len(registered) > 1 else ''} at "
            f"{base_url.rstrip('/')}/<STATE>"
        )
        if resent:
            said += f", {resent} earlier deliver{'ies' if resent > 1 else 'y'} sent again"
        if secrets_file is not None:
            said += f"; their secrets in {secrets_file}"
        return said

    return run


def note_register(client: DemoClient) -> str:
    registers = client.read("notifications", "/registers")["registers"]
    if any(r["name"] == REGISTER_2022["name"] for r in registers):
        return "already there"
    client.post("notifications", "/registers", REGISTER_2022,
                step=f"register-{REGISTER_2022['name']}", source=sources.REGISTER)  # fmt: skip
    return (
        f"opened the register {REGISTER_2022['name']} ({', '.join(REGISTER_2022['prefixes'])}) "
        f"at {REGISTER_2022['next_number']}"
    )


NOTE_SOURCES = {"SOC/OI/88": sources.NOTE_88, "IO/1256": sources.NOTE_1256}


def notes_on_record(client: DemoClient) -> str:
    """The notes the annotated agenda cites, which the record did not issue: by their number,
    date and what the agenda says of them."""
    recorded = []
    for body in NOTES_ON_RECORD:
        number = body["number"]
        if client.find("notifications", f"/notes/{number.replace('/', '-')}") is not None:
            continue
        client.post("notifications", "/notes/on-record", body,
                    step=f"on-record-{number}", source=NOTE_SOURCES[number])  # fmt: skip
        recorded.append(number)
    return _done(recorded)


def note_1280(client: DemoClient) -> str:
    key = NOTE_1280.replace("/", "-")
    if client.find("notifications", f"/notes/{key}") is not None:
        return "already there"
    body = {**ISSUE_1280, "note_id": _decision_id(NOTE_1280)}
    note = client.post("notifications", "/notes", body, step=f"note-{NOTE_1280}",
                       source=sources.NOTE_1280_ISSUED)  # fmt: skip
    if note["number"] != NOTE_1280:
        raise DemoError(f"the note was numbered {note['number']}, not {NOTE_1280}")
    return (
        f"issued {note['number']} to {len(note['recipients'])} member states in "
        f"{', '.join(note['languages'])}, {len(note['enclosures'])} enclosures "
        f"({note['pages']} p.)"
    )


def _admission_notice(client: DemoClient) -> dict[str, Any] | None:
    notices = client.read("notifications", "/notices", params={"kind": "member_admitted"})
    return next((n for n in notices["notices"] if n["reference"] == "KWT"), None)


def admission_notice(client: DemoClient) -> str:
    client.wait_for("the notice of Kuwait's admission", lambda: _admission_notice(client))
    notice = _admission_notice(client)
    assert notice is not None
    return f"notice of Kuwait's admission sent to {len(notice['recipients'])} member states"


def _deliveries(client: DemoClient, **params: Any) -> list[dict[str, Any]]:
    """GET /deliveries, every page."""
    return client.read_all("notifications", "/deliveries", "deliveries", params=params)


def _unsettled(client: DemoClient, states: set[str]) -> list[dict[str, Any]]:
    return [
        d
        for status in UNSETTLED
        for d in _deliveries(client, status=status)
        if d["state"] in states
    ]


def deliveries_settled(client: DemoClient) -> str:
    """Wait (bounded) until every delivery to a state with an endpoint has succeeded; a dead
    letter, or one still failing, is the demo's failure, with what the receiver answered."""
    states = {e["state"] for e in client.read_all("notifications", "/endpoints", "endpoints")}
    try:
        waited = client.wait_for(
            "every delivery to the ministries' endpoints succeeds",
            lambda: not _unsettled(client, states),
            within=60.0,
        )
    except DemoError as error:
        left = _unsettled(client, states)
        shown = "; ".join(
            f"{d['number'] or d['kind']} to {d['state']}: {d['status']} after {d['attempts']} "
            f"attempts ({d['last_outcome']})"
            for d in left[:5]
        )
        raise DemoError(f"{error}: {len(left)} not delivered, e.g. {shown}") from None
    dead = [d for d in _deliveries(client, status="dead_lettered") if d["state"] in states]
    if dead:
        raise DemoError(
            f"{len(dead)} deliveries dead-lettered, e.g. {dead[0]['kind']} to "
            f"{dead[0]['state']} ({dead[0]['last_outcome']})"
        )
    count = sum(1 for d in _deliveries(client, status="succeeded") if d["state"] in states)
    return f"{count} deliveries succeeded to {len(states)} ministries ({waited:.1f}s)"


def notifications_before_the_soc_decides(
    ministries: str | None, secrets_file: Path | None
) -> list[Step]:
    steps = [Step("notifications", "the 27 member states as recipients", notifications_members)]
    if ministries is not None:
        steps.append(
            Step("notifications", "the 27 ministries' webhook endpoints",
                 register_ministries(sorted(NOTE_RECIPIENTS), ministries, secrets_file,
                                     after=("the notice of the SOC's agenda adoption",
                                            soc_agenda_noticed)))
        )  # fmt: skip
    return [
        *steps,
        Step("notifications", f"the register of notes {REGISTER_2022['name']}", note_register),
        Step("notifications", "the notes the agenda cites, on record", notes_on_record),
        Step("notifications", f"note verbale {NOTE_1280} with its enclosures", note_1280),
    ]


def notifications_after_the_summit(ministries: str | None, secrets_file: Path | None) -> list[Step]:
    steps = [Step("notifications", "the notice of Kuwait's admission", admission_notice)]
    if ministries is not None:
        steps += [
            Step("notifications", "Kuwait's ministry's webhook endpoint, once admitted",
                 register_ministries(["KWT"], ministries, secrets_file)),
            Step("notifications", "the deliveries to the ministries", deliveries_settled),
        ]  # fmt: skip
    return steps


def scenario(
    *,
    notifications: bool = False,
    ministries: str | None = None,
    secrets_file: Path | None = None,
) -> list[Step]:
    """The steps in order; with the notifications service's steps where they belong, and the
    ministries' endpoints at `ministries`/<STATE> when it is given."""
    if not notifications:
        return list(STEPS)
    at = next(i for i, step in enumerate(STEPS) if step.title == CIRCULATED)
    return [
        *STEPS[:at],
        *notifications_before_the_soc_decides(ministries, secrets_file),
        *STEPS[at:],
        *notifications_after_the_summit(ministries, secrets_file),
    ]


# ------------------------------------------------------------------------------ account, audit


def _receipts_count(client: DemoClient, path: str) -> int:
    return len(client.read("notifications", path)["acknowledged"])


def notifications_account(client: DemoClient) -> list[str]:
    """The notes (number, recipients, receipts), the notices by kind, the endpoints and the
    deliveries by status."""
    notes = client.read("notifications", "/notes")["notes"]
    shown = ", ".join(
        f"{n['number']} to {len(n['recipients'])} "
        f"({_receipts_count(client, '/notes/' + n['key'] + '/receipts')} receipts)"
        if n["kind"] == "issued"
        else f"{n['number']} (on record)"
        for n in notes
    )
    lines = [f"notifications: notes verbales: {shown or 'none'}"]
    notices = client.read("notifications", "/notices")["notices"]
    by_kind: dict[str, list[int]] = {}
    receipts = 0
    for notice in notices:
        by_kind.setdefault(notice["kind"], []).append(len(notice["recipients"]))
        receipts += _receipts_count(client, f"/notices/{notice['notice_id']}/receipts")
    kinds = ", ".join(
        f"{len(counts)} {kind} (to {'+'.join(str(c) for c in counts)})"
        for kind, counts in sorted(by_kind.items())
    )
    lines.append(f"               notices: {kinds or 'none'}; {receipts} receipts")
    endpoints = client.read_all("notifications", "/endpoints", "endpoints")
    statuses = Counter(d["status"] for d in _deliveries(client))
    counted = ", ".join(f"{count} {status}" for status, count in sorted(statuses.items()))
    lines.append(
        f"               {len(endpoints)} ministry endpoints; deliveries {counted or 'none'}"
    )
    return lines


def account(client: DemoClient, *, notifications: bool = True) -> list[str]:
    """A few lines on what each service holds now."""
    lines = []
    members = client.read("registry", "/members")
    applicants = client.read("registry", "/member-states", params={"status": "applicant"})
    chairs = client.read("registry", "/chairmanships")["chairmanships"]
    chair_text = ", ".join(f"{c['period']} {c['chair'] or '____'}" for c in chairs)
    lines.append(
        f"registry:      {members['count']} member states, {applicants['count']} applicants, "
        f"{len(client.read('registry', '/bodies')['bodies'])} bodies; chairs {chair_text}"
    )
    documents = client.read("documents", "/documents")
    listed = ", ".join(f"{d['symbol']} ({d['status']})" for d in documents["documents"])
    lines.append(f"documents:     {documents['total']} documents: {listed}")
    meetings = client.read("meetings", "/meetings")["meetings"]
    shown = ", ".join(f"{m['meeting_id']} (agenda {m['agenda_status']})" for m in meetings)
    decisions = client.read("meetings", "/decisions")["decisions"]
    lines.append(f"meetings:      {len(meetings)} meetings: {shown}; {len(decisions)} decisions")
    items = client.read("meetings", "/agenda-items", params={"document": base_of(ASTANA)})
    for item in items["items"]:
        considered = ", ".join(d["symbol"] for d in item["considers"])
        lines.append(
            f"               {item['meeting_id']} item {item['ref']} considers {considered}"
        )
    if notifications:
        lines += notifications_account(client)
    return lines


def audit(client: DemoClient, services: Sequence[str] = SERVICES) -> tuple[bool, list[str]]:
    """Every service's hash chain verified (GET /events/verify, as an auditor)."""
    ok, lines = True, []
    for service in services:
        response = client.get(service, "/events/verify", token=client.auditor_token)
        if response.status_code != 200:
            ok = False
            lines.append(
                f"{service:<14} cannot verify: {response.status_code} {response.text[:200]}"
            )
            continue
        chain = response.json()
        if chain["ok"]:
            lines.append(
                f"{service:<14} chain verified: {chain['checked']} events, head "
                f"{chain['head_position']}, hash {chain['head_hash'][:16]}…"
            )
        else:
            ok = False
            lines.append(
                f"{service:<14} CHAIN BROKEN at position {chain['first_bad_position']}: "
                f"{chain['reason']}"
            )
    return ok, lines


def run_demo(
    client: DemoClient,
    *,
    out: TextIO = sys.stdout,
    steps: Sequence[Step] | None = None,
    notifications: bool = False,
    ministries: str | None = None,
    secrets_file: Path | None = None,
) -> int:
    """Run every step (`scenario(...)` unless `steps` are given), then the account and the
    audit; 0 if all went well, 1 if a step failed or a chain did not verify."""
    if steps is None:
        steps = scenario(
            notifications=notifications, ministries=ministries, secrets_file=secrets_file
        )
    print("The October 2022 scenario: the Sixth CICA Summit in Astana", file=out, flush=True)
    # Every service the steps call, once, before the first step: one that does not answer now
    # is not running (said at once); one that answered and later stops (restarting) is waited
    # for, within the client's bound.
    for service in sorted({step.service for step in steps} & set(SERVICES)):
        try:
            client.get(service, "/healthz")
        except DemoError as error:
            print(f"    {error}", file=out, flush=True)
            return 1
    for number, step in enumerate(steps, start=1):
        prefix = f"[{number:2}/{len(steps)}] {step.service:<13} {step.title}"
        try:
            outcome = step.run(client)
        except DemoError as error:
            print(f"{prefix}: FAILED\n    {error}", file=out, flush=True)
            return 1
        print(f"{prefix}: {outcome}", file=out, flush=True)
    print("\nWhat each service holds now:", file=out)
    try:
        for line in account(client, notifications=notifications):
            print(f"  {line}", file=out)
        services = [s for s in SERVICES if notifications or s != "notifications"]
        ok, lines = audit(client, services)
    except DemoError as error:
        print(f"    {error}", file=out, flush=True)
        return 1
    print("\nAudit of every log (GET /events/verify):", file=out)
    for line in lines:
        print(f"  {line}", file=out)
    print("\n" + ("Every chain verified." if ok else "A CHAIN DID NOT VERIFY."), file=out,
          flush=True)  # fmt: skip
    return 0 if ok else 1
