"""The check queue (待核对): documents whose parsed fields a clerk should look at, and why.

A document is in the queue for each open reason: the parser left a warning, a field its kind
should have is missing (a normative document without 文号, issuer or 成文日期; an interpretation
not linked to its document), or two fields conflict (施行日期 before 成文日期; a 文号 whose year is
not the 成文日期's). Reasons are computed from the fields, so a correction that fixes one removes
it at once. `Document.review` records the reasons a clerk has dealt with: confirming a document as
checked covers every reason it has then; saving a correction covers the parser's warnings (the
edit page shows them). A re-parse of a changed file clears the record, so a new parse is checked
again.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from . import audit
from .core import Library
from .models import Document, utcnow

REASONS = {
    "warning": "解析提示需核对",
    "no_doc_number": "缺少文号",
    "no_issuer": "缺少发文机关",
    "no_signed_date": "缺少成文日期",
    "unlinked": "解读未关联文件",
    "effective_before_signed": "施行日期早于成文日期",
    "number_year": "文号年份与成文日期不符",
}
_NUMBER_YEAR = re.compile(r"〔((?:19|20)\d{2})〕")
_COLUMNS = (
    Document.id,
    Document.kind,
    Document.title,
    Document.doc_number,
    Document.doc_number_norm,
    Document.issuer,
    Document.signed_date,
    Document.effective_date,
    Document.interprets_id,
    Document.warnings,
    Document.review,
    Document.created_at,
)


class CheckError(ValueError):
    """A check that cannot be recorded; the message says why."""


def number_year(doc_number_norm: str | None) -> int | None:
    m = _NUMBER_YEAR.search(doc_number_norm or "")
    return int(m.group(1)) if m else None


def reasons_of(doc: Document) -> list[str]:
    """Every reason the fields give, handled or not (a Document or a row with the same names)."""
    found = ["warning"] if doc.warnings else []
    if doc.kind == "document":
        found += [
            code
            for code, value in (
                ("no_doc_number", doc.doc_number),
                ("no_issuer", doc.issuer),
                ("no_signed_date", doc.signed_date),
            )
            if not value
        ]
    elif not doc.interprets_id:
        found.append("unlinked")
    signed: date | None = doc.signed_date
    if signed and doc.effective_date and doc.effective_date < signed:
        found.append("effective_before_signed")
    year = number_year(doc.doc_number_norm)
    if signed and year and year != signed.year:
        found.append("number_year")
    return found


def handled(doc: Document) -> set[str]:
    return set((doc.review or {}).get("handled") or [])


def open_reasons(doc: Document) -> list[str]:
    done = handled(doc)
    return [r for r in reasons_of(doc) if r not in done]


def reason_list(codes: Iterable[str]) -> list[dict]:
    return [{"code": c, "label": REASONS[c]} for c in codes]


def mark_handled(doc: Document, reasons: Iterable[str], *, actor: str, how: str) -> None:
    """Add reasons to the document's review record (inside the caller's transaction)."""
    review = dict(doc.review or {})
    review["handled"] = sorted(handled(doc) | set(reasons))
    review.update(by=actor, at=utcnow().isoformat(timespec="seconds"), how=how)
    doc.review = review


def _item(row: object, reasons: list[str]) -> dict:
    return {
        "id": row.id,
        "title": row.title,
        "kind": row.kind,
        "doc_number": row.doc_number,
        "issuer": row.issuer,
        "signed_date": row.signed_date.isoformat() if row.signed_date else None,
        "created_at": row.created_at.isoformat(timespec="seconds") if row.created_at else None,
        "reasons": reason_list(reasons),
        "warnings": list(row.warnings or []),
    }


def queue(
    session: Session, *, reason: str | None = None, limit: int | None = 50, offset: int = 0
) -> dict:
    """Documents with an open reason, newest first, with counts by reason over the whole queue.

    Reasons are computed in Python from a few narrow columns (never the text): the conditions mix
    JSON, dates and a 文号's year, which no single portable SQL expression covers.
    """
    if reason is not None and reason not in REASONS:
        raise CheckError(f"未知的核对原因“{reason[:30]}”；可选：{'、'.join(REASONS)}。")
    stmt = select(*_COLUMNS).order_by(Document.created_at.desc(), Document.id.desc())
    counts = dict.fromkeys(REASONS, 0)
    matching: list[tuple[object, list[str]]] = []
    total_docs = 0
    for row in session.execute(stmt):
        reasons = open_reasons(row)
        if not reasons:
            continue
        total_docs += 1
        for code in reasons:
            counts[code] += 1
        if reason is None or reason in reasons:
            matching.append((row, reasons))
    window = matching[offset : offset + limit if limit is not None else None]
    return {
        "total": total_docs,
        "matching": len(matching),
        "reason": reason,
        "counts": counts,
        "labels": REASONS,
        "items": [_item(row, reasons) for row, reasons in window],
    }


def confirm_checked(lib: Library, doc_id: int, *, actor: str, note: str | None = None) -> list[str]:
    """The clerk has looked and the fields are right as they are: every open reason is handled,
    recorded in the audit trail; returns the reasons it covered."""
    with lib.db.session() as session:
        doc = session.get(Document, doc_id)
        if doc is None:
            raise CheckError(f"文件 #{doc_id} 不存在；请用 `policylib docs list` 核对编号。")
        reasons = open_reasons(doc)
        if not reasons:
            raise CheckError(f"文件 #{doc_id} 不在待核对队列中，无需确认。")
        mark_handled(doc, reasons, actor=actor, how="checked")
        audit.record(
            session,
            actor=actor,
            action="document.check",
            entity_type="document",
            entity_id=doc.id,
            before={"reasons": reasons},
            after={"handled": reasons},
            reason=(note or "").strip()[:2000] or "已人工核对，各项信息无误",
        )
    return reasons
