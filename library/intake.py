"""What the intake desk shows for one document: each field beside the line it came from, the
text with those lines marked, the open check reasons, corrections, links and their history."""

from __future__ import annotations

from sqlalchemy.orm import Session

from . import checkqueue, corrections, linking
from .documents import document_dict
from .models import Document

# Evidence keys the parser writes for the interpreted document, shown beside the link.
INTERPRETS_EVIDENCE = ("interprets_title", "interprets_number", "interprets")


def _evidence(doc: Document, field: str) -> dict | None:
    keys = INTERPRETS_EVIDENCE if field == "interprets" else (field,)
    for key in keys:
        ev = (doc.evidence or {}).get(key)
        if isinstance(ev, dict):
            keys = ("value", "line", "source", "confidence")  # confidence: where a parser gives one
            return {k: ev.get(k) for k in keys}
    return None


def _link(doc: Document | None) -> dict | None:
    if doc is None:
        return None
    return {
        "id": doc.id,
        "title": doc.title,
        "kind": doc.kind,
        "doc_number": doc.doc_number,
        "ref": f"doc:{doc.id}",
    }


def edit_view(session: Session, doc_id: int, find: str = "") -> dict | None:
    """The edit page and its JSON twin; `find` searches for documents to link."""
    doc = session.get(Document, doc_id)
    if doc is None:
        return None
    record = doc.corrections or {}
    fields = [
        {
            "field": f,
            "label": label,
            "value": corrections.to_json(corrections.current_value(doc, f)),
            "evidence": _evidence(doc, f),
            "corrected": record.get(f),
        }
        for f, label in corrections.FIELD_LABELS.items()
    ]
    marked = {f["evidence"]["line"] for f in fields if f["evidence"] and f["evidence"]["line"]}
    lines = [
        {"n": n, "text": line, "evidence": n in marked}
        for n, line in enumerate((doc.text or "").splitlines(), start=1)
    ]
    return document_dict(doc) | {
        "ref": f"doc:{doc.id}",
        "fields": fields,
        "lines": lines,
        "reasons": checkqueue.reason_list(checkqueue.open_reasons(doc)),
        "review": doc.review,
        "interprets_document": _link(doc.interprets),
        "interpretations": [_link(i) for i in doc.interpretations],
        "find": find,
        "candidates": [_link(c) for c in linking.link_candidates(session, doc, find)],
        "history": corrections.correction_history(session, doc.id),
    }
