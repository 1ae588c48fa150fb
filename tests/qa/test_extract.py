"""Draft entries from an interpretation written as questions and answers (seed 000)."""

from __future__ import annotations

import opencc
from sqlalchemy import select

from library.core import Library
from library.models import AuditEntry, Document, QAEntry, QAVersion
from library.qa.extract import drafts_from_interpretation, link_pending_bases
from tests.qa.test_qa_pairs import SEED_000_QUESTIONS

T2S = opencc.OpenCC("t2s")


def _drafts(lib: Library, doc_id: int) -> list[QAEntry]:
    with lib.db.session() as s:
        stmt = select(QAEntry).where(QAEntry.source_document_id == doc_id).order_by(QAEntry.id)
        entries = list(s.scalars(stmt))
        for e in entries:
            _ = e.bases
        return entries


def test_seed_000_gives_six_drafts_linked_to_the_interpretation(
    lib: Library, docs: dict[str, int]
) -> None:
    with lib.db.session() as s:
        doc = s.get(Document, docs["000"])
        assert doc.kind == "interpretation"
        drafts_from_interpretation(s, doc)  # ingest may already have made them: then a no-op
    entries = _drafts(lib, docs["000"])
    assert [T2S.convert(e.question) for e in entries] == SEED_000_QUESTIONS
    assert {e.status for e in entries} == {"draft"}
    assert {e.source for e in entries} == {"interpretation"}
    assert entries[2].answer.startswith("旨在明確2024年興國縣政務公開工作的總體要求")
    assert all(docs["000"] in [b.document_id for b in e.bases] for e in entries)
    # The short title the interpretation defined is spelled out as a similar phrasing.
    assert entries[1].similar == ["《2024年興國縣政務公開工作要點》的依據有哪些？"]
    with lib.db.session() as s:
        versions = s.scalars(select(QAVersion).where(QAVersion.entry_id == entries[0].id))
        # Version 1 from extraction; when the explained document arrived in the same run, a
        # second version records the link of that basis.
        assert [v.version for v in versions] in ([1], [1, 2])
        audited = s.scalars(select(AuditEntry.entity_id).where(AuditEntry.action == "qa.extract"))
        assert {int(i) for i in audited} >= {e.id for e in entries}


def test_extraction_is_idempotent_and_spares_published_entries(
    lib: Library, docs: dict[str, int]
) -> None:
    with lib.db.session() as s:
        drafts_from_interpretation(s, s.get(Document, docs["000"]))
    first = _drafts(lib, docs["000"])
    with lib.db.session() as s:
        assert drafts_from_interpretation(s, s.get(Document, docs["000"])) == []
        published = s.get(QAEntry, first[0].id)
        published.status = "published"
        published.answer = "编辑改写过的答案。"
        draft = s.get(QAEntry, first[1].id)
        draft.answer = "旧的答案"
    with lib.db.session() as s:
        rewritten = drafts_from_interpretation(s, s.get(Document, docs["000"]))
        assert [e.id for e in rewritten] == [first[1].id]
    after = _drafts(lib, docs["000"])
    assert len(after) == 6
    assert after[0].answer == "编辑改写过的答案。"
    assert after[1].answer == first[1].answer
    assert after[1].version == first[1].version + 1


def test_non_interpretations_give_nothing(lib: Library, docs: dict[str, int]) -> None:
    with lib.db.session() as s:
        assert drafts_from_interpretation(s, s.get(Document, docs["003"])) == []


def test_pending_bases_link_when_their_document_arrives(lib: Library) -> None:
    from library.qa.entries import check_input
    from library.qa.workflow import create_entry
    from tests.qa.support import ingest_seeds

    with lib.db.session() as s:
        data = check_input(question="问？", answer="答。", bases="宣府办[2023]41号|不存在的文件")
        entry = create_entry(s, data, actor="test", status="published")
        entry_id = entry.id
        assert [b.document_id for b in entry.bases] == [None, None]
    ids = ingest_seeds(lib, "003")  # ingest links pending bases itself
    with lib.db.session() as s:
        assert [b.document_id for b in s.get(QAEntry, entry_id).bases] == [ids["003"], None]
        assert link_pending_bases(s, actor="test") == []  # nothing left to link
