"""Links between an interpretation and the document it explains (互为链接).

An interpretation names its document by title and/or 文号. When that document is not yet stored the
reference waits on the interpretation and resolves by itself when the document arrives.
"""

from __future__ import annotations

import re
from functools import lru_cache

from opencc import OpenCC
from sqlalchemy import select
from sqlalchemy.orm import Session

from parsers.docnumber import normalize_doc_number

from .models import Document

_PUNCT = re.compile(r"[\s《》〈〉<>“”\"'‘’「」、，,。.:：;；!！?？()（）\[\]【】〔〕]")
MIN_CONTAINED = 8


@lru_cache(maxsize=1)
def _t2s() -> OpenCC:
    return OpenCC("t2s")


def norm_title(title: str | None) -> str:
    """Simplified, punctuation-free form: traditional and simplified titles compare equal."""
    return _PUNCT.sub("", _t2s().convert(title or ""))


def ref_matches(ref: dict, doc: Document) -> bool:
    number = ref.get("number")
    if number and doc.doc_number_norm and normalize_doc_number(number) == doc.doc_number_norm:
        return True
    want, have = norm_title(ref.get("title")), norm_title(doc.title)
    if not want or not have:
        return False
    if want == have:
        return True
    shorter, longer = sorted((want, have), key=len)
    return len(shorter) >= MIN_CONTAINED and shorter in longer


def _find_target(session: Session, interp: Document) -> Document | None:
    ref = interp.interprets_ref or {}
    if ref.get("number"):
        norm = normalize_doc_number(ref["number"])
        hit = session.scalar(
            select(Document).where(Document.doc_number_norm == norm, Document.kind == "document")
        )
        if hit:
            return hit
    if not ref.get("title"):
        return None
    candidates = session.scalars(select(Document).where(Document.kind == "document"))
    return next((d for d in candidates if ref_matches(ref, d)), None)


def pending_interpretations(session: Session) -> list[Document]:
    """Interpretations still waiting for their document; few, so callers may keep the list."""
    return list(
        session.scalars(
            select(Document).where(
                Document.kind == "interpretation",
                Document.interprets_id.is_(None),
                Document.interprets_ref.is_not(None),
            )
        )
    )


def link_interpretations(
    session: Session, doc: Document, pending: list[Document] | None = None
) -> list[Document]:
    """Resolve links touching `doc` in both directions; return the documents whose links changed.

    `pending` is the caller's cached `pending_interpretations`, kept up to date here, so a bulk
    ingest does not query for it once per file.
    """
    if pending is None:
        pending = pending_interpretations(session)
    changed: list[Document] = []
    if doc.kind == "interpretation" and doc.interprets_ref and not doc.interprets_id:
        target = _find_target(session, doc)
        if target:
            doc.interprets_id = target.id
            changed += [doc, target]
        elif doc not in pending:
            pending.append(doc)
    if doc.kind == "document":
        for interp in [i for i in pending if ref_matches(i.interprets_ref or {}, doc)]:
            interp.interprets = doc
            pending.remove(interp)
            changed += [interp, doc]
    return changed
