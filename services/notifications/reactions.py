"""The notifications service's policies on other services' events. Each appends the
notifications service's own events in the reaction's transaction, with the foreign event as
their cause and event ids derived from it, so the service rebuilds from its own log alone and a
redelivered event records nothing new (a notice's id, too, is derived from its cause).

- The documents service created a draft or changed its distribution (`DraftCreated`,
  `DistributionChanged`) → the service notes who is told of the document's revisions
  (`DocumentDistributionNoted`).
- The documents service revised a draft (`DraftRevised`) → a notice ``document_revised`` to
  every member state on the day the revision is dated when the document is distributed to
  member states (or generally), to the states it names when it is restricted, and never to a
  state that is not among its readers; nobody is told of a document whose distribution the
  service never learnt.
- The documents service issued an addendum or a corrigendum (a `DraftCreated` naming its
  `parent`) → a notice ``addendum_issued`` or ``corrigendum_issued`` to the parent's readers, as
  of a revision of the parent (on the day the addendum or corrigendum is dated), among those who
  may read the addendum or corrigendum itself; nobody is told when the service never learnt the
  parent's distribution.
- The documents service recorded a circulation (`DocumentCirculated`) → a notice
  ``document_circulated`` to exactly its addressees: every member state on the day it was
  circulated (general, member states only), or the states listed (restricted).
- The meetings service scheduled a meeting, added a participant or removed one (a state
  suspended or withdrawn before the meeting starts) (`MeetingScheduled`, `ParticipantAdded`,
  `ParticipantRemoved`) → the service notes who takes part (`MeetingParticipantsNoted`).
- The meetings service circulated a draft agenda, first or revised (`AgendaDrafted`,
  `AgendaRevised`) → a notice ``agenda_circulated`` to the meeting's participants (to the
  member states on the day it was circulated when the service never heard of the meeting).
- The meetings service circulated an annotated agenda, its own document annotating the agenda
  (`AgendaAnnotated`) → a notice ``agenda_circulated`` of it, to the same.
- The meetings service recorded an agenda's adoption (`AgendaAdopted`) → a notice
  ``agenda_adopted`` to the meeting's participants (as above, on the day of the adoption).
- The registry recorded a change of a state's membership (`FoundingMemberRegistered`,
  `MemberAdmitted`, `MembershipSuspended`, `MembershipReinstated`, `MemberWithdrew`) → the
  service notes it with its effective date (`MembershipNoted` in the ``member-states`` stream,
  and the kit's ``membership_changes`` that its feeds' access rule reads): the only way the
  service learns who the members are. A note to all members goes to the members on its date.
  An admission is also told: a notice ``member_admitted`` to the members on the day of the
  admission, the new one included.

Every notice goes to the members on the day of the fact it tells (the date the event carries;
the day it was recorded when it carries none), never to today's members.

The wording of the notices of addenda, corrigenda, circulations and draft agendas is English
only: the Russian and Kazakh texts of the other notices are the project's own, and no text in
another language is added without being marked as an unofficial translation.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, date, datetime
from uuid import UUID, uuid5

import structlog

from services.notifications import commands, domain
from services.notifications.events import (
    DOCUMENT,
    MEETING,
    MEMBERS_STREAM,
    MEMBERSHIP,
    NOTICE,
    NoticeIssued,
    NoticeKind,
    Texts,
    document_stream,
    meeting_stream,
    notice_stream,
)
from shared.access import Distribution, record_membership_event
from shared.access.membership import change_of
from shared.commands import Decide, History, read_history
from shared.consumers import ReactionContext, Reactions
from shared.envelope import ForeignEvent
from shared.eventstore import DomainEvent

log = structlog.get_logger("cica.notifications.reactions")

reactions = Reactions("notifications")

ACTOR = "service:notifications"
DOCUMENTS = "documents"
MEETINGS = "meetings"
REGISTRY = "registry"


async def _record(ctx: ReactionContext, stream_id: str, stream_type: str, decide: Decide) -> None:
    """Decide and append to one of the service's streams in the reaction's transaction: caused
    by the event followed, with ids derived from it and the stream (``<stream id>/<index>``)."""
    await ctx.decide_and_append(stream_id, stream_type, decide, ids=f"{stream_id}/", actor=ACTOR)


def day_of(event: ForeignEvent, field: str) -> date:
    """The day of the fact `event` tells: its `field` (``dated``, ``adopted_on``...), or the
    day it was recorded (at UTC) when it carries none."""
    value = event.data.get(field)
    if value:
        return date.fromisoformat(str(value)[:10])
    return datetime.fromisoformat(event.recorded_at).astimezone(UTC).date()


Wording = tuple[Texts, Texts]
"""A notice's subject and text per language, with ``{placeholders}``."""


async def _notice(
    ctx: ReactionContext,
    *,
    kind: NoticeKind,
    wording: Wording,
    values: Callable[[str], Mapping[str, object]],
    recipients: Iterable[str],
    reference: str,
) -> UUID:
    """Issue a notice in the languages of its `wording`, filled in with `values(language)`.
    Its id (and its event's id) derive from the cause."""
    subjects, texts = wording
    notice_id = uuid5(ctx.cause.event_id, f"notice/{kind.value}")
    notice = NoticeIssued(
        notice_id=notice_id,
        kind=kind,
        subject={lang: subject.format(**values(lang)) for lang, subject in subjects.items()},
        text={lang: text.format(**values(lang)) for lang, text in texts.items()},
        languages=tuple(texts),
        recipients=tuple(sorted(set(recipients))),
        reference=reference,
        issued_at=datetime.now(UTC),
    )
    await _record(
        ctx, notice_stream(notice_id), NOTICE, lambda history: [] if history.events else [notice]
    )
    return notice_id


# ------------------------------------------------------------------------------ documents


@reactions.on(DOCUMENTS, "DraftCreated")
async def when_a_draft_is_created_its_distribution_is_noted_and_its_parents_readers_told(
    ctx: ReactionContext, event: ForeignEvent
) -> None:
    """Every new document's distribution is noted; an addendum or a corrigendum is told to its
    parent's readers."""
    await _note_distribution(ctx, event)
    if event.data.get("parent"):
        await _tell_of_supplement(ctx, event)


@reactions.on(DOCUMENTS, "DistributionChanged")
async def when_a_distribution_changes_it_is_noted(
    ctx: ReactionContext, event: ForeignEvent
) -> None:
    await _note_distribution(ctx, event)


async def _note_distribution(ctx: ReactionContext, event: ForeignEvent) -> None:
    symbol = domain.base_symbol(event.data.get("symbol") or event.stream_id)
    noted = Distribution.model_validate(event.data["distribution"])
    await _record(
        ctx,
        document_stream(symbol),
        DOCUMENT,
        lambda history: domain.note_distribution(history.events, symbol=symbol, noted=noted),
    )


REVISED_SUBJECT = {
    "en": "{symbol} circulated",
    "ru": "Распространен документ {symbol}",
    "kk": "{symbol} құжаты таратылды",
}
REVISED_TEXT = {
    "en": "The Secretariat circulates {symbol}, revision {revision} of {base}.",
    "ru": "Секретариат распространяет документ {symbol}, ревизию {revision} документа {base}.",
    "kk": "Хатшылық {base} құжатының {revision}-ревизиясын ({symbol}) таратады.",
}


@reactions.on(DOCUMENTS, "DraftRevised")
async def when_a_draft_is_revised_its_readers_are_told(
    ctx: ReactionContext, event: ForeignEvent
) -> None:
    symbol = event.data["symbol"]
    base = domain.base_symbol(event.stream_id if "/" in event.stream_id else symbol)
    history = await read_history(ctx.connection, ctx.store, document_stream(base))
    noted = domain.distribution(history.events)
    if noted is None:
        log.warning("notifications.revision_of_unknown_document", symbol=symbol)
        return
    known = await commands.known_members(ctx.connection, ctx.store)
    recipients = domain.told_of_revisions(noted, known, day_of(event, "dated"))
    values = {"symbol": symbol, "base": base, "revision": event.data.get("revision", "")}
    notice_id = await _notice(
        ctx,
        kind=NoticeKind.DOCUMENT_REVISED,
        wording=(REVISED_SUBJECT, REVISED_TEXT),
        values=lambda _language: values,
        recipients=recipients,
        reference=symbol,
    )
    log.info(
        "notifications.revision_notice",
        symbol=symbol,
        notice_id=str(notice_id),
        recipients=len(recipients),
    )


SUPPLEMENT_WORDING: dict[NoticeKind, Wording] = {
    NoticeKind.ADDENDUM_ISSUED: (
        {"en": "{symbol} issued"},
        {"en": "The Secretariat issued {symbol}, an addendum to {parent}."},
    ),
    NoticeKind.CORRIGENDUM_ISSUED: (
        {"en": "{symbol} issued"},
        {"en": "The Secretariat issued {symbol}, a corrigendum to {parent}."},
    ),
}
"""English only (see the module's docstring)."""


async def _tell_of_supplement(ctx: ReactionContext, event: ForeignEvent) -> None:
    symbol, parent = event.data["symbol"], event.data["parent"]
    history = await read_history(ctx.connection, ctx.store, document_stream(parent))
    noted = domain.distribution(history.events)
    if noted is None:
        log.warning("notifications.supplement_of_unknown_document", symbol=symbol, parent=parent)
        return
    own = Distribution.model_validate(event.data["distribution"])
    known = await commands.known_members(ctx.connection, ctx.store)
    recipients = domain.told_of_supplement(noted, own, known, day_of(event, "dated"))
    kind = (
        NoticeKind.CORRIGENDUM_ISSUED
        if re.search(r"/Corr\.[1-9][0-9]*$", symbol)
        else NoticeKind.ADDENDUM_ISSUED
    )
    values = {"symbol": symbol, "parent": parent}
    notice_id = await _notice(
        ctx,
        kind=kind,
        wording=SUPPLEMENT_WORDING[kind],
        values=lambda _language: values,
        recipients=recipients,
        reference=symbol,
    )
    log.info("notifications.supplement_notice", symbol=symbol, notice_id=str(notice_id),
             recipients=len(recipients))


CIRCULATED_SUBJECT = {"en": "{symbol} circulated on {dated}"}
CIRCULATED_TEXT = {"en": "The Secretariat circulated {symbol} on {dated}, in {languages}{note}."}
"""English only (see the module's docstring)."""
LANGUAGE_NAMES = {"en": "English", "ru": "Russian", "kk": "Kazakh"}
"""How the English notice names a language version (another by its tag)."""


def _in_english(languages: Iterable[str]) -> str:
    names = [LANGUAGE_NAMES.get(language, language) for language in languages]
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


@reactions.on(DOCUMENTS, "DocumentCirculated")
async def when_a_revision_is_circulated_its_addressees_are_told(
    ctx: ReactionContext, event: ForeignEvent
) -> None:
    symbol = event.data["symbol"]
    dated = date.fromisoformat(event.data["dated"])
    addressed = Distribution.model_validate(event.data["addressees"])
    known = await commands.known_members(ctx.connection, ctx.store)
    recipients = domain.addressees(addressed, known, dated)
    note = event.data.get("note")
    values = {
        "symbol": symbol,
        "dated": dated.isoformat(),
        "languages": _in_english(event.data["languages"]),
        "note": f", under note verbale No. {note}" if note else "",
    }
    notice_id = await _notice(
        ctx,
        kind=NoticeKind.DOCUMENT_CIRCULATED,
        wording=(CIRCULATED_SUBJECT, CIRCULATED_TEXT),
        values=lambda _language: values,
        recipients=recipients,
        reference=symbol,
    )
    log.info("notifications.circulation_notice", symbol=symbol, notice_id=str(notice_id),
             recipients=len(recipients))


# ------------------------------------------------------------------------------ meetings

ADOPTED_SUBJECT = {
    "en": "Agenda {symbol} adopted",
    "ru": "Утверждена повестка дня {symbol}",
    "kk": "{symbol} күн тәртібі бекітілді",
}
ADOPTED_TEXT = {
    "en": "The agenda {symbol} of the meeting {meeting} was adopted on {adopted_on}.",
    "ru": "Повестка дня {symbol} заседания {meeting} утверждена {adopted_on}.",
    "kk": "{meeting} отырысының {symbol} күн тәртібі {adopted_on} бекітілді.",
}


async def _note_participants(
    ctx: ReactionContext,
    meeting_id: str,
    states: Callable[[tuple[str, ...] | None], Iterable[str] | None],
) -> None:
    """Note the meeting's participants: `states` maps those noted so far (None: the meeting
    is unknown) to the new list (None: note nothing)."""

    def decide(history: History) -> list[DomainEvent]:
        chosen = states(domain.participants(history.events))
        if chosen is None:
            return []
        return list(domain.note_participants(history.events, meeting_id=meeting_id, states=chosen))

    await _record(ctx, meeting_stream(meeting_id), MEETING, decide)


@reactions.on(MEETINGS, "MeetingScheduled")
async def when_a_meeting_is_scheduled_its_participants_are_noted(
    ctx: ReactionContext, event: ForeignEvent
) -> None:
    scheduled = list(event.data["participants"])
    await _note_participants(ctx, event.data["meeting_id"], lambda _known: scheduled)


@reactions.on(MEETINGS, "ParticipantAdded")
async def when_a_participant_is_added_it_is_noted(
    ctx: ReactionContext, event: ForeignEvent
) -> None:
    state = event.data["state"]
    await _note_participants(
        ctx,
        event.stream_id.removeprefix("meeting-"),
        lambda known: None if known is None else [*known, state],
    )


@reactions.on(MEETINGS, "ParticipantRemoved")
async def when_a_participant_is_removed_it_is_noted(
    ctx: ReactionContext, event: ForeignEvent
) -> None:
    """A state suspended or withdrawn by the meeting's first day no longer takes part: it is
    no longer told of the meeting's agendas (nothing is noted of a meeting never heard of)."""
    state = event.data["state"]
    await _note_participants(
        ctx,
        event.stream_id.removeprefix("meeting-"),
        lambda known: None if known is None else [p for p in known if p != state],
    )


async def _taking_part(ctx: ReactionContext, meeting: str, day: date) -> tuple[str, ...]:
    """The meeting's participants as noted (the member states on `day` when the service never
    heard of the meeting)."""
    history = await read_history(ctx.connection, ctx.store, meeting_stream(meeting))
    taking_part = domain.participants(history.events)
    if taking_part is None:
        known = await commands.known_members(ctx.connection, ctx.store)
        taking_part = tuple(known.on(day))
    return taking_part


async def _tell_participants(
    ctx: ReactionContext, event: ForeignEvent, kind: NoticeKind, wording: Wording, day: str
) -> None:
    """A notice of an agenda (`event`, whose `day` field holds the day of the fact) to its
    meeting's participants."""
    meeting = event.stream_id.removeprefix("meeting-")
    values = {"symbol": event.data["symbol"], "meeting": meeting, day: event.data[day]}
    await _notice(
        ctx,
        kind=kind,
        wording=wording,
        values=lambda _language: values,
        recipients=await _taking_part(ctx, meeting, day_of(event, day)),
        reference=event.data["symbol"],
    )


@reactions.on(MEETINGS, "AgendaAdopted")
async def when_an_agenda_is_adopted_its_participants_are_told(
    ctx: ReactionContext, event: ForeignEvent
) -> None:
    await _tell_participants(
        ctx, event, NoticeKind.AGENDA_ADOPTED, (ADOPTED_SUBJECT, ADOPTED_TEXT), "adopted_on"
    )


AGENDA_CIRCULATED_SUBJECT = {"en": "Draft agenda {symbol} circulated on {circulated_on}"}
AGENDA_CIRCULATED_TEXT = {
    "en": "The draft agenda {symbol} of the meeting {meeting} was circulated on "
    "{circulated_on}.",
}
"""English only (see the module's docstring). In the passive, as the annotated agenda says of
SOC/2022-III/Agenda/1 ("has been circulated ... on 7 September 2022"): the meetings service's
event does not say who circulated it, and the notice attributes it to no one."""


@reactions.on(MEETINGS, "AgendaRevised")
@reactions.on(MEETINGS, "AgendaDrafted")
async def when_a_draft_agenda_is_circulated_its_participants_are_told(
    ctx: ReactionContext, event: ForeignEvent
) -> None:
    await _tell_participants(
        ctx,
        event,
        NoticeKind.AGENDA_CIRCULATED,
        (AGENDA_CIRCULATED_SUBJECT, AGENDA_CIRCULATED_TEXT),
        "circulated_on",
    )


ANNOTATED_CIRCULATED_SUBJECT = {
    "en": "Draft annotated agenda {symbol} circulated on {circulated_on}"
}
ANNOTATED_CIRCULATED_TEXT = {
    "en": "The Secretariat circulated the draft annotated agenda {symbol} of the meeting "
    "{meeting} on {circulated_on}.",
}
"""English only (see the module's docstring)."""


@reactions.on(MEETINGS, "AgendaAnnotated")
async def when_an_annotated_agenda_is_circulated_its_participants_are_told(
    ctx: ReactionContext, event: ForeignEvent
) -> None:
    await _tell_participants(
        ctx,
        event,
        NoticeKind.AGENDA_CIRCULATED,
        (ANNOTATED_CIRCULATED_SUBJECT, ANNOTATED_CIRCULATED_TEXT),
        "circulated_on",
    )


# ------------------------------------------------------------------------------ registry

ADMITTED_SUBJECT = {
    "en": "{name} admitted to CICA",
    "ru": "{name} принят в СВМДА",
    "kk": "{name} Азия Кеңесіне қабылданды",
}
ADMITTED_TEXT = {
    "en": "{name} ({state}) is a Member State of CICA from {admitted_on}.",
    "ru": "{name} ({state}) является государством-членом СВМДА с {admitted_on}.",
    "kk": "{name} ({state}) {admitted_on} бастап Азия Кеңесінің мүше мемлекеті болып табылады.",
}


async def _note_membership(ctx: ReactionContext, event: ForeignEvent) -> date:
    """Note the change of membership the registry's `event` records, with the day it takes
    effect, in the kit's table and in the ``member-states`` stream (once: a redelivered or
    replayed event notes nothing new). The day it takes effect."""
    state, change, effective_on = change_of(event.event_type, event.data)
    await record_membership_event(ctx.connection, event)
    await _record(
        ctx,
        MEMBERS_STREAM,
        MEMBERSHIP,
        lambda history: domain.note_change(
            history.events, state=state, change=change, effective_on=effective_on
        ),
    )
    log.info("notifications.membership_noted", state=state, change=change.value,
             effective_on=effective_on.isoformat())
    return effective_on


@reactions.on(REGISTRY, "MemberWithdrew")
@reactions.on(REGISTRY, "MembershipReinstated")
@reactions.on(REGISTRY, "MembershipSuspended")
@reactions.on(REGISTRY, "FoundingMemberRegistered")
async def when_a_membership_changes_it_decides_who_receives_notes_to_all_members(
    ctx: ReactionContext, event: ForeignEvent
) -> None:
    """A founding member receives the notes to all members dated from its `member_since` on; a
    suspended state none dated from its suspension until its reinstatement; a withdrawn state
    none dated from its withdrawal on."""
    await _note_membership(ctx, event)


@reactions.on(REGISTRY, "MemberAdmitted")
async def when_a_member_is_admitted_it_receives_notes_to_all_members(
    ctx: ReactionContext, event: ForeignEvent
) -> None:
    """The admitted state receives the notes to all members dated from its admission on, and
    the members on that day (the new one among them) are told of it."""
    state = event.data["state"]
    admitted_on = await _note_membership(ctx, event)
    known = await commands.known_members(ctx.connection, ctx.store)
    recipients = {*known.on(admitted_on), state}
    names = event.data.get("names") or {}
    await _notice(
        ctx,
        kind=NoticeKind.MEMBER_ADMITTED,
        wording=(ADMITTED_SUBJECT, ADMITTED_TEXT),
        values=lambda language: {
            "name": names.get(language) or names.get("en") or state,
            "state": state,
            "admitted_on": admitted_on.isoformat(),
        },
        recipients=recipients,
        reference=state,
    )
    log.info("notifications.member_admitted", state=state, recipients=len(recipients))

