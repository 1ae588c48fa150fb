"""An entry's life: written or extracted as a draft, reviewed and published, flagged, retired.

Every function here works inside the caller's transaction and returns the touched entry, so the
editor pages, the CLI and the importer compose them; `commit_and_index` is the one place that
commits and refreshes the search index afterwards.

Publishing is the review: an entry goes out only when its answer is there and none of its
resolved policy bases has stopped being current, and each publication stamps the review date.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date, timedelta
from typing import TypeVar

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, selectinload

from .. import indexing
from ..core import Library
from ..models import QAEntry, QAVersion, utcnow
from .entries import (
    BasisResolver,
    EntryInput,
    QAError,
    apply_input,
    ensure_topic,
    entry_dict,
    flag_if_stale,
    load_documents,
    record_change,
    snapshot,
    stale_bases,
)

log = logging.getLogger("policylib.qa")

# How long a review holds before the entry shows up in the review queue again.
REVIEW_INTERVAL = timedelta(days=365)
T = TypeVar("T")


def commit_and_index(lib: Library, work: Callable[[Session], T]) -> T:
    """Run `work` in one transaction, then refresh the index for every entry it touched.

    `work` returns an entry, a list of entries, or anything carrying `qa_ids`.
    """
    with lib.db.session() as session:
        result = work(session)
        session.flush()
        ids = _touched_ids(result)
    indexing.refresh(lib, qa_ids=ids)
    return result


def _touched_ids(result: object) -> set[int]:
    if isinstance(result, QAEntry):
        return {result.id}
    if isinstance(result, list | tuple):
        return {e.id for e in result if isinstance(e, QAEntry)}
    return set(getattr(result, "qa_ids", ()) or ())


def get_entry(session: Session, entry_id: int) -> QAEntry:
    entry = session.get(QAEntry, entry_id, options=[selectinload(QAEntry.bases)])
    if entry is None:
        raise QAError(f"问答条目 #{entry_id} 不存在；请在问答列表中核对编号。")
    return entry


def create_entry(
    session: Session,
    data: EntryInput,
    *,
    actor: str,
    status: str = "draft",
    source: str = "manual",
    source_document_id: int | None = None,
    resolver: BasisResolver | None = None,
) -> QAEntry:
    """A new entry; one asked to be published whose basis is no longer current waits for review."""
    entry = QAEntry(status="draft", source=source, source_document_id=source_document_id)
    session.add(entry)
    apply_input(entry, data, resolver or BasisResolver(session))
    ensure_topic(session, entry.topic)
    session.flush()
    if status == "published":
        _publish_or_flag(session, entry)
    else:
        entry.status = status
    if entry.owner is None:
        entry.owner = actor
    record_change(session, entry, actor=actor, action="qa.create", before=None)
    return entry


def update_entry(
    session: Session,
    entry_id: int,
    data: EntryInput,
    *,
    actor: str,
    expected_version: int | None = None,
    resolver: BasisResolver | None = None,
) -> QAEntry:
    """Edit the content. A published entry stays published only if its bases are still current."""
    entry = get_entry(session, entry_id)
    if expected_version is not None and expected_version != entry.version:
        raise QAError(
            f"条目 #{entry.id} 已被他人修改（当前第 {entry.version} 版）；请刷新页面后再编辑。"
        )
    before = snapshot(entry)
    apply_input(entry, data, resolver or BasisResolver(session))
    ensure_topic(session, entry.topic)
    session.flush()
    if entry.status == "published":
        _publish_or_flag(session, entry, stamp=False)
    record_change(session, entry, actor=actor, action="qa.update", before=before)
    return entry


def _publish_or_flag(session: Session, entry: QAEntry, *, stamp: bool = True) -> None:
    entry.status = "published"
    if flag_if_stale(session, entry):
        return
    entry.review_reason = None
    if stamp:
        entry.last_reviewed_at = utcnow()
        today = date.today()
        if entry.review_by is None or entry.review_by <= today:
            entry.review_by = today + REVIEW_INTERVAL


def set_status(
    session: Session, entry: QAEntry, status: str, *, actor: str, action: str
) -> QAEntry:
    """Set a status directly (an import carrying its own); publishing still checks the bases."""
    before = snapshot(entry)
    if status == "published":
        _publish_or_flag(session, entry)
    else:
        entry.status = status
    record_change(session, entry, actor=actor, action=action, before=before)
    return entry


def approve(session: Session, entry_id: int, *, actor: str, note: str | None = None) -> QAEntry:
    """审核通过并发布: a draft, an entry awaiting review or a retired one goes (back) out.

    Refused while a basis document is not current: replace that basis (or retire the entry) first.
    """
    entry = get_entry(session, entry_id)
    if not (entry.answer or "").strip():
        raise QAError(f"条目 #{entry.id} 没有答案，不能发布；请先编辑补充答案。")
    stale = stale_bases(entry, load_documents(session, [entry]))
    if stale:
        names = "、".join(f"《{d.title}》（{d.status}）" for d in stale)
        raise QAError(
            f"条目 #{entry.id} 的依据文件{names}已不再现行有效；请在编辑页更换依据后再审核发布，"
            "或停用该条目。"
        )
    before = snapshot(entry)
    _publish_or_flag(session, entry)
    record_change(
        session, entry, actor=actor, action="qa.publish", before=before, reason=note or None
    )
    log.info("qa published entry=%s actor=%s", entry.id, actor)
    return entry


def flag_for_review(session: Session, entry_id: int, *, actor: str, reason: str) -> QAEntry:
    """Send a published entry back for review by hand (e.g. an agent found the answer outdated)."""
    reason = (reason or "").strip()
    if not reason:
        raise QAError("请填写需要复核的原因。")
    entry = get_entry(session, entry_id)
    if entry.status != "published":
        raise QAError(f"条目 #{entry.id} 当前不是“已发布”状态，无需标记复核。")
    before = snapshot(entry)
    entry.status = "needs_review"
    entry.review_reason = reason
    record_change(
        session, entry, actor=actor, action="qa.needs_review", before=before, reason=reason
    )
    return entry


def retire(session: Session, entry_id: int, *, actor: str, reason: str) -> QAEntry:
    """Take an entry out of service; it stays stored with its history and can be published again."""
    reason = (reason or "").strip()
    if not reason:
        raise QAError("请填写停用原因。")
    entry = get_entry(session, entry_id)
    if entry.status == "retired":
        raise QAError(f"条目 #{entry.id} 已是停用状态。")
    before = snapshot(entry)
    entry.status = "retired"
    entry.review_reason = reason
    record_change(session, entry, actor=actor, action="qa.retire", before=before, reason=reason)
    return entry


def versions(session: Session, entry_id: int) -> list[dict]:
    """The entry's versions, newest first, each with the fields that changed from the one before."""
    rows = list(
        session.scalars(
            select(QAVersion).where(QAVersion.entry_id == entry_id).order_by(QAVersion.id)
        )
    )
    out, previous = [], {}
    for row in rows:
        snap = row.snapshot or {}
        changed = [k for k in snap if previous and snap.get(k) != previous.get(k)]
        out.append(
            {
                "version": row.version,
                "actor": row.actor,
                "at": row.at.isoformat(timespec="seconds"),
                "status": snap.get("status"),
                "changed": changed,
                "snapshot": snap,
            }
        )
        previous = snap
    return list(reversed(out))


def list_entries(
    session: Session,
    *,
    status: str | None = None,
    topic: str | None = None,
    source: str | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> tuple[int, list[QAEntry]]:
    stmt = select(QAEntry)
    if status:
        stmt = stmt.where(QAEntry.status == status)
    if topic:
        stmt = stmt.where(QAEntry.topic == topic)
    if source:
        stmt = stmt.where(QAEntry.source == source)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    stmt = stmt.options(selectinload(QAEntry.bases)).order_by(QAEntry.topic, QAEntry.id)
    if limit is not None:
        stmt = stmt.limit(limit).offset(offset)
    return total, list(session.scalars(stmt))


def review_queue(session: Session, today: date | None = None) -> list[dict]:
    """What waits for an editor: flagged entries first, then drafts, then reviews that fell due."""
    today = today or date.today()
    stmt = (
        select(QAEntry)
        .where(
            or_(
                QAEntry.status.in_(("needs_review", "draft")),
                (QAEntry.status == "published") & (QAEntry.review_by < today),
            )
        )
        .options(selectinload(QAEntry.bases))
    )
    entries = list(session.scalars(stmt))
    docs = load_documents(session, entries)
    order = {"needs_review": 0, "draft": 1, "published": 2}
    entries.sort(key=lambda e: (order[e.status], e.updated_at))
    queue = []
    for e in entries:
        item = entry_dict(e, docs)
        item["queue"] = {"needs_review": "待复核", "draft": "待发布", "published": "复核到期"}[
            e.status
        ]
        queue.append(item)
    return queue
