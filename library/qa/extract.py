"""Draft Q&A entries out of an interpretation written as numbered questions and answers.

Ingest calls `drafts_from_interpretation` after storing an interpretation. The drafts rest on the
interpretation itself and, when known, on the document it explains, so they are flagged when
either stops being current; an editor reviews and publishes them. Re-ingesting the same or a
changed interpretation updates the drafts it made instead of adding new ones, and never touches
an entry an editor has already published or retired.
"""

from __future__ import annotations

import logging

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from indexer.analyzer import fold
from parsers.qa_pairs import abbreviations, expand_abbreviations, split_qa_pairs

from ..models import Document, QABasis, QAEntry
from .entries import (
    ANSWER_MAX,
    QUESTION_MAX,
    BasisResolver,
    flag_if_stale,
    record_change,
    snapshot,
)

log = logging.getLogger("policylib.qa")
ACTOR = "ingest"


def _bases(doc: Document) -> list[QABasis]:
    bases = [QABasis(document_id=doc.id, ref=doc.title or f"#{doc.id}")]
    if doc.interprets_id:
        target = doc.interprets
        bases.append(QABasis(document_id=doc.interprets_id, ref=target.title if target else ""))
    elif doc.interprets_ref:
        ref = doc.interprets_ref.get("number") or doc.interprets_ref.get("title")
        if ref:
            bases.append(QABasis(document_id=None, ref=str(ref)))
    return bases


def _standalone(question: str, short_forms: dict[str, str]) -> list[str]:
    """The question with 《要点》 spelled out as the full title, as a similar phrasing: a caller
    never says the short form an interpretation defined for itself."""
    full = expand_abbreviations(question, short_forms)
    return [full[:QUESTION_MAX]] if full != question else []


def drafts_from_interpretation(session: Session, doc: Document) -> list[QAEntry]:
    """The draft entries created or updated from `doc`; [] when it has no Q&A layout.

    Drafts are matched to earlier ones from the same document by their question (folded, so a
    re-parse that only changes 繁简 or punctuation is not a new question).
    """
    if doc.kind != "interpretation" or not doc.text:
        return []
    pairs = split_qa_pairs(doc.text)
    if not pairs:
        return []
    short_forms = abbreviations(doc.text)
    existing = {
        fold(e.question): e
        for e in session.scalars(
            select(QAEntry)
            .where(QAEntry.source_document_id == doc.id, QAEntry.source == "interpretation")
            .options(selectinload(QAEntry.bases))
        )
    }
    out = []
    for pair in pairs:
        question, answer = pair.question[:QUESTION_MAX], pair.answer[:ANSWER_MAX]
        entry = existing.get(fold(question))
        if entry is None:
            entry = QAEntry(
                question=question,
                answer=answer,
                similar=_standalone(question, short_forms),
                status="draft",
                source="interpretation",
                source_document_id=doc.id,
                department=doc.issuer,
                topic=doc.topic,
                bases=_bases(doc),
            )
            session.add(entry)
            record_change(session, entry, actor=ACTOR, action="qa.extract", before=None)
            out.append(entry)
        elif entry.status == "draft" and (entry.answer != answer or entry.question != question):
            before = snapshot(entry)
            entry.question, entry.answer = question, answer
            entry.bases = _bases(doc)
            record_change(session, entry, actor=ACTOR, action="qa.extract", before=before)
            out.append(entry)
    log.info("qa drafts extracted document=%s pairs=%d written=%d", doc.id, len(pairs), len(out))
    return out


def link_pending_bases(session: Session, *, actor: str = ACTOR) -> list[QAEntry]:
    """Resolve bases kept as written once the library holds the document they name.

    Q&A imported before the documents they cite get their links when the documents arrive.
    """
    resolver = BasisResolver(session)
    touched: dict[int, tuple[QAEntry, dict]] = {}
    for basis in list(session.scalars(select(QABasis).where(QABasis.document_id.is_(None)))):
        doc_id = resolver.resolve(basis.ref)
        if doc_id is None:
            continue
        entry = basis.entry
        touched.setdefault(entry.id, (entry, snapshot(entry)))
        basis.document_id = doc_id
    for entry, before in touched.values():
        session.flush()
        flag_if_stale(session, entry)
        record_change(session, entry, actor=actor, action="qa.link_basis", before=before)
    return [entry for entry, _ in touched.values()]
