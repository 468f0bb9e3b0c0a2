"""A translation is another language: never the document's own, of a revision that exists,
official or unofficial (and every read says which); replaced before adoption (the event says
so), never once the text is adopted, which still takes official versions in new languages.
Each rule in the domain (no database), then through the API on real PostgreSQL, where a
refusal records nothing."""

from __future__ import annotations

import json
from typing import Any

import pytest

from services.documents import domain
from services.documents.domain import (
    AdoptedTextOfficialVersionsOnlyError,
    AdoptedTextUnchangedError,
    LanguageStatus,
    OfficialVersionRecordedError,
    RevisionNotFoundError,
    TranslationInOriginalLanguageError,
)
from services.documents.events import TranslationAdded
from shared.http.problems import domain_status
from tests.database import events_in
from tests.documents.helpers import SECRETARIAT, documents_app, draft, small_text
from tests.documents.history import adopted, given, revised

RUSSIAN = {"title": "Проект заявления", "opening": "Мы, главы государств,",
           "paragraphs": {"pp-a": "Признавая перемены", "op-a": "Мы действуем"}}


def translate(document, language="ru", official=True, revision=0, **changes):
    return domain.add_translation(document, revision=revision, language=language,
                                  official=official, **(RUSSIAN | changes))


def added(language="ru", official=True, revision=0, **changes) -> TranslationAdded:
    return TranslationAdded(revision=revision, language=language, official=official,
                            **(RUSSIAN | changes))


# ---------------------------------------------------------------------------------- domain


def test_a_translation_in_the_documents_own_language_is_refused():
    with pytest.raises(TranslationInOriginalLanguageError) as error:
        translate(given(), language="en", title="Draft statement, retold")
    assert domain_status(error.value) == 422
    assert error.value.rule == "translation-in-original-language"


def test_a_translation_of_a_revision_that_does_not_exist_is_refused():
    with pytest.raises(RevisionNotFoundError):
        translate(given(), revision=1)


def test_a_translation_says_whether_it_is_official_and_the_revision_knows():
    unofficial = translate(given(), official=False)
    assert (unofficial.official, unofficial.replaces) == (False, False)
    document = given(unofficial)
    assert document.latest.language_status("ru") is LanguageStatus.UNOFFICIAL
    assert document.latest.language_status("en") is LanguageStatus.ORIGINAL
    assert document.latest.unofficial_languages == ["ru"]
    needs = {n.language for n in domain.translation_needs(document)}
    assert "ru" in needs, "an unofficial translation fills no need for the official version"


def test_the_same_language_again_before_adoption_is_recorded_as_replacing_it():
    document = given(added(official=False))
    official = translate(document, title="Проект заявления (официальный)")
    assert (official.official, official.replaces) == (True, True)
    after = given(added(official=False), official)
    assert after.latest.text.title["ru"] == "Проект заявления (официальный)"
    assert after.latest.language_status("ru") is LanguageStatus.OFFICIAL


def test_an_unofficial_translation_does_not_replace_an_official_version():
    with pytest.raises(OfficialVersionRecordedError) as error:
        translate(given(added()), official=False)
    assert domain_status(error.value) == 409


def test_an_adopted_text_keeps_its_language_versions_and_other_revisions_stay_as_they_are():
    document = given(revised(1), added(revision=1), adopted(1))
    with pytest.raises(AdoptedTextUnchangedError, match="never changes"):
        translate(document, revision=1, title="Другое заглавие")
    with pytest.raises(AdoptedTextUnchangedError, match="takes no further"):
        translate(document, language="kk", revision=0, title="Мәлімдеме жобасы")


def test_an_adopted_text_takes_an_official_version_in_a_new_language_only():
    document = given(revised(1), adopted(1))
    kazakh = translate(document, language="kk", revision=1, title="Мәлімдеме жобасы")
    assert (kazakh.official, kazakh.replaces) == (True, False)
    with pytest.raises(AdoptedTextOfficialVersionsOnlyError) as error:
        translate(document, language="zh", official=False, revision=1, title="声明草案")
    assert domain_status(error.value) == 409


# ------------------------------------------------------------------------------------- API

VERSION = {"revision": 0, "language": "ru", "official": True, "title": "Проект заявления",
           "paragraphs": {"pp-a": "Признавая перемены", "op-a": "Мы действуем"}}


async def refused(docs, database_url, symbol: str, version: dict[str, Any]):
    """The answer to posting `version`, having checked that it recorded nothing."""
    before = await events_in(database_url)
    answer = await docs.translate(symbol, version)
    assert await events_in(database_url) == before
    assert answer.headers["content-type"].startswith("application/problem+json")
    return answer


async def test_a_translation_in_the_original_language_or_of_no_revision_records_nothing(
    database_url, servers
):
    async with documents_app(database_url, servers.nats_url) as docs:
        symbol = (await docs.create(draft())).json()["symbol"]
        english = await refused(docs, database_url, symbol,
                                VERSION | {"language": "en", "title": "Draft statement, retold",
                                           "paragraphs": {"pp-a": "Change", "op-a": "Act"}})
        missing = await refused(docs, database_url, symbol, VERSION | {"revision": 3})
        read = (await docs.read(symbol)).json()

    assert (english.status_code, english.json()["type"]) == (
        422, "/problems/translation-in-original-language")
    assert (missing.status_code, missing.json()["type"]) == (404, "/problems/revision-not-found")
    assert read["title"] == "Draft statement", "the original text is untouched"


async def test_an_unofficial_translation_says_so_in_every_read(database_url, servers):
    async with documents_app(database_url, servers.nats_url) as docs:
        symbol = (await docs.create(draft())).json()["symbol"]
        answer = await docs.translate(symbol, VERSION | {"official": False})
        await docs.caught_up()
        read = (await docs.read(symbol, lang="ru")).json()
        listed = (await docs.http.get("/documents", headers=SECRETARIAT)).json()["documents"]
        needed = (await docs.http.get("/translations/needed", headers=SECRETARIAT)).json()
        revisions = (await docs.http.get(f"/documents/{symbol}/revisions",
                                         headers=SECRETARIAT)).json()
        text = (await docs.http.get(f"/documents/{symbol}/text", params={"lang": "ru"},
                                    headers=SECRETARIAT)).text
        log = await events_in(database_url)
        official = await docs.translate(symbol, VERSION)
        await docs.caught_up()
        now = (await docs.read(symbol, lang="ru")).json()
        needed_now = (await docs.http.get("/translations/needed", headers=SECRETARIAT)).json()
        demoted = await refused(docs, database_url, symbol, VERSION | {"official": False})

    assert answer.status_code == 201, answer.text
    assert [(v["language"], v["status"], v["official"]) for v in answer.json()["versions"]] == [
        ("en", "original", True), ("ru", "unofficial", False)]
    assert (read["language"], read["language_status"]) == ("ru", "unofficial")
    assert read["unofficial_languages"] == ["ru"]
    assert listed[0]["unofficial_languages"] == ["ru"]
    assert needed[0]["missing"] == ["kk", "ru"]
    assert revisions[0]["unofficial_languages"] == ["ru"]
    assert "\nНеофициальный перевод\n" in text
    assert log[-1]["event_type"] == "TranslationAdded"
    assert json.loads(log[-1]["data"])["official"] is False
    assert official.status_code == 201
    assert (now["language_status"], now["unofficial_languages"]) == ("official", [])
    assert needed_now[0]["missing"] == ["kk"]
    assert (demoted.status_code, demoted.json()["type"]) == (
        409, "/problems/official-version-recorded")


async def test_a_language_version_replaced_before_adoption_is_recorded_as_a_replacement(
    database_url, servers
):
    async with documents_app(database_url, servers.nats_url) as docs:
        symbol = (await docs.create(draft())).json()["symbol"]
        first = await docs.translate(symbol, VERSION)
        second = await docs.translate(symbol, VERSION | {"title": "Проект заявления, ред."})
        log = [r for r in await events_in(database_url) if r["event_type"] == "TranslationAdded"]
        read = (await docs.read(symbol, lang="ru")).json()

    assert (first.status_code, second.status_code) == (201, 201)
    assert [json.loads(r["data"])["replaces"] for r in log] == [False, True]
    assert read["title"] == "Проект заявления, ред."


async def test_an_adopted_text_never_changes_but_takes_official_versions_in_new_languages(
    database_url, servers
):
    async with documents_app(database_url, servers.nats_url) as docs:
        symbol = (await docs.create(draft())).json()["symbol"]
        await docs.revise(symbol, small_text("Draft statement, revised"),
                          etag=await docs.etag(symbol))
        assert (await docs.translate(symbol, VERSION | {"revision": 1})).status_code == 201
        adoption = await docs.status(symbol, "adopted", "SUMMIT")
        assert adoption.status_code == 201, adoption.text
        replaced = await refused(docs, database_url, symbol,
                                 VERSION | {"revision": 1, "title": "Другое заглавие"})
        older = await refused(docs, database_url, symbol, VERSION | {"language": "kk"})
        unofficial = await refused(docs, database_url, symbol,
                                   VERSION | {"revision": 1, "language": "zh",
                                              "official": False, "title": "声明草案"})
        kazakh = await docs.translate(symbol, VERSION | {"revision": 1, "language": "kk",
                                                         "title": "Мәлімдеме жобасы"})
        read = (await docs.read(symbol, lang="ru")).json()

    for answer, rule in [(replaced, "adopted-text-unchanged"), (older, "adopted-text-unchanged"),
                         (unofficial, "adopted-text-official-versions-only")]:
        assert (answer.status_code, answer.json()["type"]) == (409, f"/problems/{rule}")
    assert kazakh.status_code == 201, kazakh.text
    assert read["title"] == "Проект заявления"
    assert read["languages"] == ["en", "kk", "ru"]
