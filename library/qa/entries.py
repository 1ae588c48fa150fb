"""Q&A entries as every service handles them: checked input, resolved bases, versions, dict form.

Extraction, import and the editor all end in the same few steps (check the fields, resolve the
policy bases to library documents, write a version and an audit record), so those steps live here
once and the entry looks the same whichever way it arrived.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from indexer.records import CURRENT_STATUSES
from parsers.docnumber import find_doc_numbers, normalize_doc_number

from .. import audit
from ..models import (
    QA_STATUS_LABELS,
    QA_STATUSES,
    Document,
    QABasis,
    QAEntry,
    QATopic,
    QAVersion,
)
from ..status_labels import status_label
from ..titles import TitleMatcher, best_or_ambiguous, title_keys

QUESTION_MAX = 300
ANSWER_MAX = 20_000
SIMILAR_MAX = 50
REF_MAX = 500
SHORT_MAX = 200
TOPIC_MAX = 50
EXTERNAL_ID_MAX = 100
# The topics a fresh library offers; admins add more (any topic an import or an editor uses).
DEFAULT_TOPICS = (
    "生育",
    "教育",
    "就业",
    "创业",
    "养老",
    "医疗",
    "纳税",
    "社保",
    "公积金",
    "低保",
    "退役军人",
    "住房",
    "户籍",
    "政务公开",
    "12345",
)
# Status names as people write them in spreadsheets, mapped to the stored ones.
STATUS_ALIASES = {label: key for key, label in QA_STATUS_LABELS.items()} | {
    "发布": "published",
    "待审核": "needs_review",
    "停用": "retired",
    "下线": "retired",
}
_SIMILAR_SPLIT = re.compile(r"[|｜\n\r]+")
_REF_SPLIT = re.compile(r"[|｜\n\r;；]+")
_ID_REF = re.compile(r"^(?:#|doc:)\s*(\d{1,9})$", re.I)


class QAError(ValueError):
    """A Q&A change that cannot be made; the message is Chinese and says what to do instead."""


@dataclass
class EntryInput:
    """The editable fields of an entry, checked; built from a form, an import row or extraction."""

    question: str
    answer: str
    similar: list[str] = field(default_factory=list)
    topic: str | None = None
    department: str | None = None
    region: str | None = None
    bases: list[str] = field(default_factory=list)
    review_by: date | None = None
    owner: str | None = None
    external_id: str | None = None


def split_similar(value: object) -> list[str]:
    """相似问法 from `a|b`, one per line, or a list; blanks and repeats dropped, order kept."""
    parts = value if isinstance(value, list | tuple) else _SIMILAR_SPLIT.split(str(value or ""))
    return list(dict.fromkeys(p.strip() for p in map(str, parts) if p and p.strip()))


def split_refs(value: object) -> list[str]:
    """Basis references separated by `|`, `;` or new lines (titles themselves contain 、 and ，).

    A list may hold strings or the basis objects of the JSON export (`{"ref": …}`).
    """
    if isinstance(value, list | tuple):
        parts = [
            (p.get("ref") or p.get("doc_number") or p.get("title")) if isinstance(p, dict) else p
            for p in value
        ]
    else:
        parts = _REF_SPLIT.split(str(value or ""))
    return list(dict.fromkeys(p.strip() for p in map(str, parts) if p and p.strip()))


def parse_status(value: object, default: str = "published") -> str:
    """A status from its key or its Chinese label; QAError names the accepted values otherwise."""
    text = str(value or "").strip()
    if not text:
        return default
    status = text.lower() if text.lower() in QA_STATUSES else STATUS_ALIASES.get(text)
    if status is None:
        allowed = "、".join(f"{k}（{v}）" for k, v in QA_STATUS_LABELS.items())
        raise QAError(f"状态“{text}”无法识别；可用的状态：{allowed}。")
    return status


def _clean(value: object) -> str:
    return str(value or "").strip()


def check_input(
    *,
    question: object,
    answer: object,
    similar: object = None,
    topic: object = None,
    department: object = None,
    region: object = None,
    bases: object = None,
    review_by: object = None,
    owner: object = None,
    external_id: object = None,
) -> EntryInput:
    """Every field checked at once; QAError lists all problems so one correction fixes the row."""
    problems = []
    q, a = _clean(question), _clean(answer)
    if not q:
        problems.append("缺少问题")
    elif len(q) > QUESTION_MAX:
        problems.append(f"问题超过 {QUESTION_MAX} 字")
    if not a:
        problems.append("缺少答案")
    elif len(a) > ANSWER_MAX:
        problems.append(f"答案超过 {ANSWER_MAX} 字")
    sims = [s for s in split_similar(similar) if s != q]
    if len(sims) > SIMILAR_MAX or any(len(s) > QUESTION_MAX for s in sims):
        problems.append(f"相似问法最多 {SIMILAR_MAX} 条、每条不超过 {QUESTION_MAX} 字")
    refs = split_refs(bases)
    if any(len(r) > REF_MAX for r in refs):
        problems.append(f"每条依据不超过 {REF_MAX} 字")
    topic_s, dept, reg = _clean(topic), _clean(department), _clean(region)
    if len(topic_s) > TOPIC_MAX:
        problems.append(f"分类不超过 {TOPIC_MAX} 字")
    if len(dept) > SHORT_MAX or len(reg) > SHORT_MAX:
        problems.append(f"部门、地区不超过 {SHORT_MAX} 字")
    ext = _clean(external_id)
    if len(ext) > EXTERNAL_ID_MAX:
        problems.append(f"编号不超过 {EXTERNAL_ID_MAX} 字")
    due = _parse_date(review_by, problems)
    if problems:
        raise QAError("；".join(problems) + "。")
    return EntryInput(
        question=q,
        answer=a,
        similar=sims,
        topic=topic_s or None,
        department=dept or None,
        region=reg or None,
        bases=refs,
        review_by=due,
        owner=_clean(owner) or None,
        external_id=ext or None,
    )


def _parse_date(value: object, problems: list[str]) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        problems.append(f"复核日期“{value}”应写作 YYYY-MM-DD")
        return None


class BasisResolver:
    """Finds the library document a basis reference names: `#id`, a 文号, or a title.

    Titles of all documents are loaded once per resolver, so an import of many rows costs one
    query; a reference that matches nothing or several documents equally stays unresolved and is
    kept as written.
    """

    def __init__(self, session: Session) -> None:
        self.session = session
        self._titles: TitleMatcher | None = None
        self._status: dict[int, str] = {}

    def resolve(self, ref: str) -> int | None:
        ref = ref.strip()
        m = _ID_REF.match(ref)
        if m:
            return int(m[1]) if self.session.get(Document, int(m[1])) else None
        numbers = find_doc_numbers(ref)
        if numbers:
            found = self._by_number(normalize_doc_number(numbers[0].group(0)))
            if found:
                return found
        title = re.sub(r"[（(][^（(]*〕[^）)]*[）)]\s*$", "", ref).strip().strip("《》 ")
        return self._by_title(title) if title else None

    def _by_number(self, norm: str) -> int | None:
        rows = self.session.execute(
            select(Document.id, Document.status, Document.kind).where(
                Document.doc_number_norm == norm
            )
        ).all()
        return _prefer(rows)

    def _by_title(self, title: str) -> int | None:
        if self._titles is None:
            rows = self.session.execute(
                select(Document.id, Document.title, Document.issuer, Document.status, Document.kind)
            ).all()
            self._titles = TitleMatcher({r.id: title_keys(r.title, r.issuer) for r in rows})
            self._status = {r.id: (r.status, r.kind) for r in rows}
        best, close = best_or_ambiguous(self._titles.find(title))
        if best is not None:
            return int(best.key)
        rows = [(k.key, *self._status[k.key]) for k in close]
        return _prefer(rows) if close and len({r[2] for r in rows}) <= 2 else None


def _prefer(rows: Iterable[tuple]) -> int | None:
    """Several documents with one 文号 or title (versions): the current normative one wins."""
    rows = list(rows)
    if not rows:
        return None
    rows.sort(key=lambda r: (r[1] in CURRENT_STATUSES, r[2] == "document", r[0]), reverse=True)
    return int(rows[0][0])


def set_bases(entry: QAEntry, refs: list[str], resolver: BasisResolver) -> list[str]:
    """Replace the entry's bases; return the references that name no library document."""
    unresolved = []
    new = []
    for ref in refs:
        doc_id = resolver.resolve(ref)
        if doc_id is None:
            unresolved.append(ref)
        new.append(QABasis(document_id=doc_id, ref=ref))
    entry.bases = new
    return unresolved


def apply_input(entry: QAEntry, data: EntryInput, resolver: BasisResolver) -> list[str]:
    """Write the checked fields onto the entry; return unresolved basis references."""
    entry.question = data.question
    entry.answer = data.answer
    entry.similar = list(data.similar)
    entry.topic = data.topic
    entry.department = data.department
    entry.region = data.region
    entry.review_by = data.review_by
    entry.owner = data.owner
    if data.external_id is not None:
        entry.external_id = data.external_id
    same = [(b.document_id, b.ref) for b in entry.bases] == [
        (resolver.resolve(r), r) for r in data.bases
    ]
    if same:
        return [b.ref for b in entry.bases if b.document_id is None]
    return set_bases(entry, data.bases, resolver)


def content(entry: QAEntry) -> dict:
    """The fields an import or an edit may change, to tell `unchanged` from `update`."""
    return {
        "external_id": entry.external_id,
        "question": entry.question,
        "similar": list(entry.similar or []),
        "answer": entry.answer,
        "topic": entry.topic,
        "department": entry.department,
        "region": entry.region,
        "bases": [b.ref for b in entry.bases],
        "review_by": entry.review_by.isoformat() if entry.review_by else None,
        "owner": entry.owner,
    }


def input_content(data: EntryInput, entry: QAEntry | None = None) -> dict:
    """`content` of what the entry would be after `data`, for comparison before writing anything."""
    return {
        "external_id": data.external_id
        if data.external_id is not None
        else (entry.external_id if entry else None),
        "question": data.question,
        "similar": list(data.similar),
        "answer": data.answer,
        "topic": data.topic,
        "department": data.department,
        "region": data.region,
        "bases": list(data.bases),
        "review_by": data.review_by.isoformat() if data.review_by else None,
        "owner": data.owner,
    }


def snapshot(entry: QAEntry) -> dict:
    """The whole state of an entry as plain JSON, as kept in each version and audit record."""
    return content(entry) | {
        "status": entry.status,
        "review_reason": entry.review_reason,
        "last_reviewed_at": _iso(entry.last_reviewed_at),
        "basis_document_ids": [b.document_id for b in entry.bases],
    }


def record_change(
    session: Session,
    entry: QAEntry,
    *,
    actor: str,
    action: str,
    before: dict | None,
    reason: str | None = None,
) -> None:
    """One new version and one audit record for a change already made to `entry`."""
    if entry.id is None:
        session.add(entry)
        session.flush()
    if before is not None:
        entry.version = (entry.version or 1) + 1
    else:
        entry.version = entry.version or 1
    after = snapshot(entry)
    session.add(QAVersion(entry_id=entry.id, version=entry.version, snapshot=after, actor=actor))
    audit.record(
        session,
        actor=actor,
        action=action,
        entity_type="qa",
        entity_id=entry.id,
        before=before,
        after=after,
        reason=reason,
    )


def ensure_topic(session: Session, topic: str | None) -> bool:
    """Add a topic to the list admins see; True when it is new."""
    if not topic or session.get(QATopic, topic) is not None:
        return False
    session.add(QATopic(name=topic))
    session.flush()
    return True


def list_topics(session: Session) -> list[str]:
    """Default topics first, then those added over time, then any still only used by entries."""
    stored = list(session.scalars(select(QATopic.name).order_by(QATopic.name)))
    used = session.scalars(select(QAEntry.topic).where(QAEntry.topic.is_not(None)).distinct())
    return list(dict.fromkeys([*DEFAULT_TOPICS, *stored, *sorted(used)]))


def published_by_topic(session: Session) -> list[dict]:
    """Published entries grouped by topic, topics in the order admins keep them (`list_topics`),
    entries by id; an entry without a topic is listed under 其他."""
    entries = session.scalars(
        select(QAEntry).where(QAEntry.status == "published").order_by(QAEntry.id)
    )
    groups: dict[str, list[dict]] = {}
    for e in entries:
        groups.setdefault(e.topic or "其他", []).append({"id": e.id, "question": e.question})
    order = {t: i for i, t in enumerate(list_topics(session))}
    topics = sorted(groups, key=lambda t: (order.get(t, len(order)), t))
    return [{"topic": t, "entries": groups[t]} for t in topics]


def load_documents(session: Session, entries: Iterable[QAEntry]) -> dict[int, Document]:
    ids = {b.document_id for e in entries for b in e.bases if b.document_id}
    if not ids:
        return {}
    return {d.id: d for d in session.scalars(select(Document).where(Document.id.in_(ids)))}


def bases_current(entry: QAEntry, documents: dict[int, Document]) -> bool:
    """No resolved basis has stopped being current (an unresolved reference cannot be checked)."""
    return all(
        documents[b.document_id].status in CURRENT_STATUSES
        for b in entry.bases
        if b.document_id and b.document_id in documents
    )


def stale_bases(entry: QAEntry, documents: dict[int, Document]) -> list[Document]:
    return [
        documents[b.document_id]
        for b in entry.bases
        if b.document_id in documents and documents[b.document_id].status not in CURRENT_STATUSES
    ]


def flag_if_stale(session: Session, entry: QAEntry) -> bool:
    """A published entry resting on a document that is no longer current goes to review."""
    stale = stale_bases(entry, load_documents(session, [entry]))
    if entry.status != "published" or not stale:
        return False
    entry.status = "needs_review"
    entry.review_reason = "依据文件" + "、".join(f"《{d.title}》" for d in stale) + "已不再现行有效"
    return True


def basis_dict(basis: QABasis, documents: dict[int, Document]) -> dict:
    doc = documents.get(basis.document_id) if basis.document_id else None
    return {
        "ref": basis.ref,
        "document_id": basis.document_id,
        "title": doc.title if doc else None,
        "doc_number": doc.doc_number if doc else None,
        "status": doc.status if doc else None,
        "status_label": status_label(doc.status) if doc else "未收录",
        "current": (doc.status in CURRENT_STATUSES) if doc else None,
    }


def entry_dict(entry: QAEntry, documents: dict[int, Document]) -> dict:
    """The shape the CLI, the API, the pages and the export share; add keys, never rename."""
    return {
        "id": entry.id,
        "external_id": entry.external_id,
        "question": entry.question,
        "similar_questions": list(entry.similar or []),
        "answer": entry.answer,
        "status": entry.status,
        "status_label": status_label(entry.status, "qa"),
        "topic": entry.topic,
        "department": entry.department,
        "region": entry.region,
        "basis": [basis_dict(b, documents) for b in entry.bases],
        "review_reason": entry.review_reason,
        "review_by": entry.review_by.isoformat() if entry.review_by else None,
        "last_reviewed_at": _iso(entry.last_reviewed_at),
        "owner": entry.owner,
        "source": entry.source,
        "source_document_id": entry.source_document_id,
        "version": entry.version,
        "updated_at": _iso(entry.updated_at),
    }


def _iso(value: datetime | None) -> str | None:
    return value.isoformat(timespec="seconds") if value else None
