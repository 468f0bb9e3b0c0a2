"""Reading a revision, with no database: the language chosen, the words compared, and the
renditions the same bytes every time."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime

from services.documents.domain import Document
from services.documents.events import DocumentText, DocumentType, DraftCreated, TranslationAdded
from services.documents.reading import (
    AKN_NAMESPACE,
    akoma_ntoso,
    choose_language,
    parse_accept_language,
    plain_text,
    unofficial_marker,
    word_changes,
)
from services.documents.seed import astana_rev8_russian, astana_rev8_text
from shared.access import MEMBER_STATES_ONLY


def test_accept_language_is_read_by_quality_then_order():
    assert parse_accept_language("en;q=0.5, ru-RU, kk;q=0.8, fr;q=0") == ["ru-RU", "kk", "en"]
    assert parse_accept_language(None) == []


def test_the_language_falls_back_to_the_documents_own_and_says_so():
    assert choose_language(["en", "ru"], ["ru-RU"], "en").language == "ru"
    chosen = choose_language(["en", "ru"], ["kk", "zh"], "en")
    assert (chosen.language, chosen.fallback) == ("en", True)
    assert choose_language(["en"], [], "en").fallback is False
    assert choose_language(["en", "kk-Cyrl"], ["kk"], "en").language == "kk-Cyrl"


def test_word_changes_name_only_the_words_that_changed():
    assert word_changes(
        "We hereby launch the negotiations process",
        "We hereby launch the structured, inclusive negotiations process",
    ) == [{"op": "insert", "before": "", "after": "structured, inclusive"}]
    assert word_changes("in 2023", "in 2024") == [
        {"op": "replace", "before": "2023", "after": "2024"}]


def rev8() -> Document:
    at = datetime(2022, 10, 7, 9, 0, tzinfo=UTC)
    created = DraftCreated(
        symbol="SUM/2022/DRAFT/1", document_type=DocumentType.STATEMENT, language="en",
        text=DocumentText.model_validate(astana_rev8_text()), distribution=MEMBER_STATES_ONLY,
    )
    russian = TranslationAdded.model_validate({**astana_rev8_russian(), "revision": 0})
    document = Document.fold([(created, at), (russian, at)])
    assert document is not None
    return document


def test_the_akoma_ntoso_rendition_is_well_formed_and_the_same_every_time():
    document = rev8()
    xml = akoma_ntoso(document, document.latest, "ru")
    assert xml == akoma_ntoso(rev8(), rev8().latest, "ru")
    root = ET.fromstring(xml.encode())
    ns = {"akn": AKN_NAMESPACE}
    assert root.tag == f"{{{AKN_NAMESPACE}}}akomaNtoso"
    recitals = root.findall(".//akn:recitals/akn:recital", ns)
    assert [r.findtext("akn:num", namespaces=ns) for r in recitals][:2] == ["PP1.", "PP2."]
    assert len(recitals) == 11
    assert len(root.findall(".//akn:mainBody/akn:paragraph", ns)) == 7
    language = root.find(".//akn:FRBRExpression/akn:FRBRlanguage", ns)
    assert language is not None and language.get("language") == "rus"
    work = root.find(".//akn:FRBRWork/akn:FRBRthis", ns)
    assert work is not None
    assert work.get("value") == "/akn/int/statement/cica/2022/SUM-2022-DRAFT-1/!main"


def test_the_plain_text_rendition_follows_the_seed_layout():
    document = rev8()
    text = plain_text(document, document.latest, "en")
    assert text == plain_text(rev8(), rev8().latest, "en")
    assert text.startswith("SUM/2022/DRAFT/1    2022-10-07\nDistr.: member states only\n")
    assert "\nOP5. As the first step of the transformation process, we decide that:\n" in text
    assert text.endswith("Council of Heads of State or Government.\n")


def test_an_unofficial_translation_says_so_in_its_own_language_in_every_rendition():
    document = rev8()
    russian = plain_text(document, document.latest, "ru")
    english = plain_text(document, document.latest, "en")
    assert russian.startswith("SUM/2022/DRAFT/1    2022-10-07\nDistr.: member states only\n"
                              "Неофициальный перевод\n\nПРОЕКТ АСТАНИНСКОГО ЗАЯВЛЕНИЯ")
    assert "Неофициальный перевод" not in english and "Unofficial" not in english
    assert "<docStatus>Неофициальный перевод</docStatus>" in akoma_ntoso(
        document, document.latest, "ru")
    assert "docStatus" not in akoma_ntoso(document, document.latest, "en")
    assert [unofficial_marker(tag) for tag in ("ru-RU", "kk", "zh")] == [
        "Неофициальный перевод", "Ресми емес аударма", "Unofficial translation"]
