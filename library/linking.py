"""Links between an interpretation and the document it explains (互为链接).

An interpretation names its document by title and/or 文号. When that document is not yet stored the
reference waits on the interpretation and resolves by itself when the document arrives.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from parsers.docnumber import normalize_doc_number

from . import audit
from .core import Library
from .corrections import mark_corrected
from .models import Document, utcnow
from .titles import normalize_title
from .validity.common import Touched
from .validity.status import set_status

MIN_CONTAINED = 8


def ref_matches(ref: dict, doc: Document) -> bool:
    """Whether a document is the one an interpretation names: same 文号, or titles equal (or one
    containing the other) once `titles.normalize_title`, the library's one title form, folded
    traditional/simplified, width, years and punctuation away."""
    number = ref.get("number")
    if number and doc.doc_number_norm and normalize_doc_number(number) == doc.doc_number_norm:
        return True
    want, have = normalize_title(ref.get("title")), normalize_title(doc.title)
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


def linked_by_hand(doc: Document) -> bool:
    """A clerk linked or unlinked this interpretation: automatic linking leaves it alone."""
    return "interprets" in (doc.corrections or {})


def pending_interpretations(session: Session) -> list[Document]:
    """Interpretations still waiting for their document; few, so callers may keep the list."""
    stmt = select(Document).where(
        Document.kind == "interpretation",
        Document.interprets_id.is_(None),
        Document.interprets_ref.is_not(None),
    )
    return [d for d in session.scalars(stmt) if not linked_by_hand(d)]


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
    waiting = doc.interprets_ref and not doc.interprets_id and not linked_by_hand(doc)
    if doc.kind == "interpretation" and waiting:
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


# --- links by hand -----------------------------------------------------------------------------


class LinkError(ValueError):
    """A link by hand that cannot be made; the message says why and what to do."""


def _pair(session: Session, interp_id: int, doc_id: int | None) -> tuple[Document, Document | None]:
    interp = session.get(Document, interp_id)
    if interp is None:
        raise LinkError(f"文件 #{interp_id} 不存在；请核对编号。")
    if interp.kind != "interpretation":
        raise LinkError(
            f"文件 #{interp_id} 是规范性文件，不是政策解读；请先把它的类型更正为政策解读，"
            "或从解读一方关联。"
        )
    if doc_id is None:
        return interp, None
    doc = session.get(Document, doc_id)
    if doc is None:
        raise LinkError(f"被解读的文件 #{doc_id} 不存在；请核对编号。")
    if doc.kind != "document":
        raise LinkError(f"文件 #{doc_id} 是政策解读；解读只能关联到规范性文件。")
    return interp, doc


def _follow_status(
    session: Session, interp: Document, doc: Document, *, actor: str, today: date
) -> Touched:
    """An interpretation has the validity of the document it explains: a link to a repealed
    document must never leave the interpretation shown as current. The change goes through
    validity.set_status (history, audit, Q&A flags), made while the interpretation is unlinked."""
    if interp.status == doc.status:
        return Touched()
    interp.interprets_id = None
    session.flush()
    return set_status(
        session,
        interp,
        doc.status,
        actor=actor,
        reason=f"随所解读文件《{doc.title}》（#{doc.id}）的状态（人工关联）",
        basis=f"所解读文件 #{doc.id}",
        since=min(doc.status_since or today, today),
        note=doc.status_note or ("随所解读文件" if doc.status == "partially_invalid" else None),
        today=today,
    )


def set_link_by_hand(
    session: Session,
    interp_id: int,
    doc_id: int | None,
    *,
    actor: str,
    reason: str,
    today: date | None = None,
) -> Touched:
    """Link an interpretation to a document (or unlink it, doc_id None) inside the caller's
    transaction, remembered as a correction so automatic linking never undoes it; the
    interpretation takes the document's status. Returns what the index must refresh."""
    interp, doc = _pair(session, interp_id, doc_id)
    old = interp.interprets_id
    if old == doc_id:
        state = f"已关联到文件 #{doc_id}" if doc_id else "没有关联任何文件"
        raise LinkError(f"解读 #{interp_id} {state}，无需变更。")
    reason = (reason or "").strip()[:2000] or ("人工关联" if doc_id else "人工解除关联")
    mark_corrected(interp, "interprets", old, doc_id, actor=actor, reason=reason)
    if not linked_by_hand(interp) and doc_id is None:
        interp.corrections = (interp.corrections or {}) | {
            "interprets": {
                "value": None,
                "parser": None,
                "by": actor,
                "at": utcnow().isoformat(timespec="seconds"),
                "reason": reason,
            }
        }
    touched = Touched(doc_ids={interp.id} | {i for i in (old, doc_id) if i})
    if doc is not None:
        touched.merge(
            _follow_status(session, interp, doc, actor=actor, today=today or date.today())
        )
    interp.interprets_id = doc_id
    audit.record(
        session,
        actor=actor,
        action="document.link" if doc_id else "document.unlink",
        entity_type="document",
        entity_id=interp.id,
        before={"interprets": old},
        after={"interprets": doc_id},
        reason=reason,
    )
    session.flush()
    return touched


def link_by_hand(
    lib: Library,
    interp_id: int,
    doc_id: int | None,
    *,
    actor: str,
    reason: str | None = None,
    today: date | None = None,
) -> None:
    """`set_link_by_hand` in its own transaction, then the index: search shows the link at once."""
    with lib.db.session() as session:
        touched = set_link_by_hand(
            session, interp_id, doc_id, actor=actor, reason=reason or "", today=today
        )
    touched.refresh_index(lib)


def link_candidates(session: Session, doc: Document, q: str, limit: int = 20) -> list[Document]:
    """What `doc` may be linked to, found by title or 文号: documents for an interpretation,
    interpretations for a document."""
    q = q.strip()[:200]
    if not q:
        return []
    kind = "document" if doc.kind == "interpretation" else "interpretation"
    like = f"%{q}%"
    conditions = [
        Document.title.ilike(like),
        Document.doc_number.ilike(like),
        Document.doc_number_norm == normalize_doc_number(q),
    ]
    stmt = (
        select(Document)
        .where(Document.kind == kind, Document.id != doc.id, or_(*conditions))
        .order_by(Document.id.desc())
        .limit(limit)
    )
    return list(session.scalars(stmt))
