"""The search service the public pages, the JSON API and the CLI all call.

It wraps `lib.index.search` with what the index cannot know: request validation with messages a
person can act on, page URLs, and the 政策 + 解读 + 问答 grouping read from the database (a document
hit carries its interpretations and the published Q&A resting on it). It also builds the full
document object (`document_view`) so the document page, `/api/documents/<id>` and the CLI agree.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, Row, func, select
from sqlalchemy.orm import Session

from indexer.records import CURRENT_STATUSES
from parsers.docnumber import find_doc_numbers, normalize_doc_number

from . import index_backlog
from .core import Library
from .corrections import corrected_fields, correction_history
from .documents import document_dict
from .ingest import original_path
from .inputs import parse_whole

if TYPE_CHECKING:
    from indexer import SearchQuery

from .models import (
    QA_STATUS_LABELS,
    STATUS_LABELS,
    STATUSES,
    Document,
    QABasis,
    QAEntry,
    StatusChange,
)

MAX_QUERY_CHARS = 2000
MAX_PAGE = 1000
DEFAULT_PER_PAGE = 10
MAX_PER_PAGE = 50
MAX_FILTER_VALUES = 20
SORTS = {"relevance": "相关度", "date": "日期"}
KIND_LABELS = {"document": "规范性文件", "interpretation": "政策解读", "qa": "政策问答"}
# Facets shown on the results page, in display order, with their Chinese names.
FACETS = {
    "kind": "类型",
    "status": "有效性",
    "issuer": "发文机关",
    "year": "年份",
    "level": "效力层级",
    "topic": "主题",
}
# Facets passed to the index as free-valued filters (the others have fixed vocabularies).
FREE_FILTERS = ("issuer", "year", "level", "topic")
# Q&A entries the public may see; drafts and entries awaiting review stay inside the hotline.
PUBLIC_QA_STATUSES = ("published",)
_YEAR_RE = re.compile(r"(19|20)\d{2}")


def doc_numbers_in(text: str) -> list[str]:
    """The 文号 a query names, normalised as the index stores them: the index finds a record by
    its 文号 typed in any bracket style, but reads no 文号 itself (that is `parsers`' job)."""
    found = find_doc_numbers(text[:MAX_QUERY_CHARS])
    return list(dict.fromkeys(normalize_doc_number(m.group(0)) for m in found))


class SearchParamError(ValueError):
    """A request parameter that cannot be used; `message` is Chinese and says how to fix it."""

    def __init__(self, param: str, message: str) -> None:
        super().__init__(f"{param}: {message}")
        self.param = param
        self.message = message


@dataclass(frozen=True)
class SearchParams:
    """One validated search request, as the pages, the API and the CLI all understand it."""

    q: str = ""
    include_all: bool = False
    kinds: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    filters: dict[str, tuple[str, ...]] = field(default_factory=dict)
    sort: str = "relevance"
    page: int = 1
    per_page: int = DEFAULT_PER_PAGE

    def to_query(self) -> SearchQuery:
        from indexer import SearchQuery

        return SearchQuery(
            text=self.q,
            doc_numbers=doc_numbers_in(self.q),
            include_all=self.include_all,
            kinds=list(self.kinds) or None,
            filters={k: list(v) for k, v in self.filters.items() if v},
            statuses=self._visible_statuses(),
            sort=self.sort,
            page=self.page,
            per_page=self.per_page,
        )

    def _visible_statuses(self) -> list[str] | None:
        """Statuses the public may see; None keeps the index's "current only" default.

        "All" means every document status but still only published Q&A: drafts and entries
        awaiting review belong to the hotline, never to the public.
        """
        if self.statuses:
            return list(self.statuses)
        if self.include_all:
            return [*STATUSES, *PUBLIC_QA_STATUSES]
        return None

    def args(self) -> list[tuple[str, str]]:
        """The query-string pairs that reproduce this request (page links, facet links)."""
        pairs: list[tuple[str, str]] = []
        if self.q:
            pairs.append(("q", self.q))
        if self.include_all:
            pairs.append(("all", "1"))
        pairs += [("kind", k) for k in self.kinds]
        pairs += [("status", s) for s in self.statuses]
        for name in FREE_FILTERS:
            pairs += [(name, v) for v in self.filters.get(name, ())]
        if self.sort != "relevance":
            pairs.append(("sort", self.sort))
        if self.per_page != DEFAULT_PER_PAGE:
            pairs.append(("per_page", str(self.per_page)))
        if self.page != 1:
            pairs.append(("page", str(self.page)))
        return pairs

    def selected(self, facet: str) -> tuple[str, ...]:
        if facet == "kind":
            return self.kinds
        if facet == "status":
            return self.statuses
        return self.filters.get(facet, ())

    def toggled(self, facet: str, value: str) -> SearchParams:
        """This request with one facet value switched on or off, back on page 1."""
        chosen = list(self.selected(facet))
        chosen = [v for v in chosen if v != value] if value in chosen else [*chosen, value]
        if facet == "kind":
            return replace(self, kinds=tuple(chosen), page=1)
        if facet == "status":
            return replace(self, statuses=tuple(chosen), page=1)
        return replace(self, filters={**self.filters, facet: tuple(chosen)}, page=1)

    def with_(self, **changes: Any) -> SearchParams:
        return replace(self, **changes)


def _values(args: Mapping[str, Any], name: str) -> list[str]:
    raw = args.get(name, [])
    items = [raw] if isinstance(raw, str) else list(raw or [])
    return [v.strip() for v in items if isinstance(v, str) and v.strip()]


def _one(args: Mapping[str, Any], name: str) -> str | None:
    values = _values(args, name)
    return values[-1] if values else None


def _int(args: Mapping[str, Any], name: str, default: int, low: int, high: int, what: str) -> int:
    raw = _one(args, name)
    if raw is None:
        return default
    value = parse_whole(raw, low, high)
    if value is None:
        raise SearchParamError(
            name, f"{what}应为 {low} 到 {high} 之间的整数，收到的是“{raw[:20]}”。"
        )
    return value


def _bool(args: Mapping[str, Any], name: str) -> bool:
    raw = (_one(args, name) or "0").lower()
    if raw in {"1", "true", "yes", "on"}:
        return True
    if raw in {"0", "false", "no", "off"}:
        return False
    raise SearchParamError(name, f"“{name}”只能是 0 或 1，收到的是“{raw[:20]}”。")


def _choices(args: Mapping[str, Any], name: str, allowed: Iterable[str], what: str) -> tuple:
    values = _values(args, name)
    allowed = tuple(allowed)
    for v in values:
        if v not in allowed:
            raise SearchParamError(name, f"未知的{what}“{v[:40]}”，可选值：{'、'.join(allowed)}。")
    return tuple(dict.fromkeys(values))


def parse_params(args: Mapping[str, Any]) -> SearchParams:
    """Validate raw request arguments (a dict of str or list of str) into SearchParams.

    Everything a person could type into the address bar either works or raises SearchParamError
    with a message that says what was wrong, so no request can end in a server error.
    """
    q = " ".join(_values(args, "q"))
    if len(q) > MAX_QUERY_CHARS:
        raise SearchParamError(
            "q", f"查询内容过长（{len(q)} 字），请缩短到 {MAX_QUERY_CHARS} 字以内后重试。"
        )
    filters: dict[str, tuple[str, ...]] = {}
    for name in FREE_FILTERS:
        values = tuple(dict.fromkeys(v[:200] for v in _values(args, name)))
        if len(values) > MAX_FILTER_VALUES:
            raise SearchParamError(name, f"“{FACETS[name]}”最多可同时选择 {MAX_FILTER_VALUES} 项。")
        if name == "year":
            bad = [v for v in values if not _YEAR_RE.fullmatch(v)]
            if bad:
                raise SearchParamError(
                    "year", f"年份应为四位数字，例如 2023，收到的是“{bad[0][:20]}”。"
                )
        if values:
            filters[name] = values
    return SearchParams(
        q=q,
        include_all=_bool(args, "all"),
        kinds=_choices(args, "kind", KIND_LABELS, "类型"),
        statuses=_choices(args, "status", STATUSES, "有效性状态"),
        filters=filters,
        sort=(_choices(args, "sort", SORTS, "排序方式") or ("relevance",))[-1],
        page=_int(args, "page", 1, 1, MAX_PAGE, "页码"),
        per_page=_int(args, "per_page", DEFAULT_PER_PAGE, 1, MAX_PER_PAGE, "每页条数"),
    )


def status_label(status: str | None, kind: str = "document") -> str:
    if kind == "qa":
        return QA_STATUS_LABELS.get(status or "", status or "")
    return STATUS_LABELS.get(status or "", status or "未知")


def _split_ref(ref: str) -> tuple[str, int]:
    prefix, _, num = ref.partition(":")
    return prefix, int(num)


# What a link shows of a document. The results page reads them as plain rows: ORM objects (with
# each law's full text) made these lookups 1.2 ms of CPU per request instead of 0.7 ms.
_LINK_COLUMNS = (
    Document.id,
    Document.title,
    Document.kind,
    Document.doc_number,
    Document.status,
    Document.interprets_id,
)


def _doc_link(doc: Document | Row) -> dict:
    return {
        "id": doc.id,
        "ref": f"doc:{doc.id}",
        "title": doc.title,
        "kind": doc.kind,
        "doc_number": doc.doc_number,
        "status": doc.status,
        "status_label": status_label(doc.status),
        "is_current": doc.status in CURRENT_STATUSES,
    }


def _qa_link(entry: Row) -> dict:
    return {
        "id": entry.id,
        "ref": f"qa:{entry.id}",
        "title": entry.question,
    }


def _related(session: Session, doc_ids: set[int], qa_ids: set[int]) -> dict[str, dict]:
    """The 政策 + 解读 + 问答 links for the hits on one page, in four queries whatever its size."""
    related: dict[str, dict] = {}
    if doc_ids:
        links = select(*_LINK_COLUMNS)
        docs = {d.id: d for d in session.execute(links.where(Document.id.in_(doc_ids)))}
        targets = {d.interprets_id for d in docs.values() if d.interprets_id}
        explained = {d.id: d for d in session.execute(links.where(Document.id.in_(targets)))}
        interpretations: dict[int, list[Row]] = {}
        stmt = links.where(Document.interprets_id.in_(doc_ids)).order_by(Document.id)
        for interp in session.execute(stmt):
            interpretations.setdefault(interp.interprets_id, []).append(interp)
        qa_by_doc: dict[int, list[Row]] = {}
        stmt = (
            select(QABasis.document_id, QAEntry.id, QAEntry.question)
            .join(QAEntry, QABasis.entry_id == QAEntry.id)
            .where(QABasis.document_id.in_(doc_ids), QAEntry.status.in_(PUBLIC_QA_STATUSES))
            .order_by(QAEntry.id)
        )
        for row in session.execute(stmt):
            qa_by_doc.setdefault(row.document_id, []).append(row)
        for doc_id, doc in docs.items():
            target = explained.get(doc.interprets_id) if doc.interprets_id else None
            related[f"doc:{doc_id}"] = {
                "interprets": _doc_link(target) if target else None,
                "interpretations": [_doc_link(i) for i in interpretations.get(doc_id, [])],
                "qa": [_qa_link(e) for e in qa_by_doc.get(doc_id, [])],
                "bases": [],
            }
    if qa_ids:
        stmt = (
            select(QABasis.entry_id, *_LINK_COLUMNS)
            .join(Document, QABasis.document_id == Document.id)
            .where(QABasis.entry_id.in_(qa_ids))
            .order_by(QABasis.id)
        )
        bases: dict[int, list[Row]] = {}
        for row in session.execute(stmt):
            bases.setdefault(row.entry_id, []).append(row)
        for qa_id in qa_ids:
            related[f"qa:{qa_id}"] = {
                "interprets": None,
                "interpretations": [],
                "qa": [],
                "bases": [_doc_link(d) for d in bases.get(qa_id, [])],
            }
    return related


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


def _facet_label(facet: str, value: str) -> str:
    if facet == "kind":
        return KIND_LABELS.get(value, value)
    if facet == "status":
        return STATUS_LABELS.get(value, value)
    return value


def search(lib: Library, params: SearchParams) -> dict:
    """Run one search and return the object `/api/search` serves and `policylib search --json` prints."""
    found = lib.index.search(params.to_query())
    doc_ids = {_split_ref(h.id)[1] for h in found.hits if h.id.startswith("doc:")}
    qa_ids = {_split_ref(h.id)[1] for h in found.hits if h.id.startswith("qa:")}
    with lib.db.session() as session:
        related = _related(session, doc_ids, qa_ids)
        fresh = index_backlog.behind_statuses(session, doc_ids)
    visible = set(params._visible_statuses() or CURRENT_STATUSES)
    results = []
    dropped = 0
    for hit in found.hits:
        prefix, num = _split_ref(hit.id)
        is_qa = prefix == "qa"
        status = hit.status if is_qa else fresh.get(num, hit.status)
        if not is_qa and num in fresh and status not in visible:
            dropped += 1  # the index is behind the database, whose status decides
            continue
        results.append(
            {
                "id": num,
                "ref": hit.id,
                "type": "qa" if is_qa else "document",
                "kind": hit.kind,
                "kind_label": KIND_LABELS.get(hit.kind, hit.kind),
                "title": hit.title,
                "title_html": hit.title_html or html.escape(hit.title or ""),
                "status": status,
                "status_label": status_label(status, "qa" if is_qa else "document"),
                "is_current": is_qa or status in CURRENT_STATUSES,
                "score": round(float(hit.score), 4),
                "snippet": hit.snippet,
                "doc_number": hit.doc_number,
                "issuer": hit.issuer,
                "date": hit.date,
                "source_file": hit.source_file,
                "related": related.get(hit.id)
                or {"interprets": None, "interpretations": [], "qa": [], "bases": []},
            }
        )
    total = found.total - dropped
    pages = max(1, -(-total // params.per_page))
    return {
        "query": params.q,
        "include_all": params.include_all,
        "sort": params.sort,
        "page": params.page,
        "per_page": params.per_page,
        "pages": pages,
        "total": total,
        "terms": list(found.terms or []),
        "results": results,
        "facets": {
            name: [
                {"value": str(value), "label": _facet_label(name, str(value)), "count": count}
                for value, count in found.facets.get(name, [])
                if name != "status" or value in STATUS_LABELS
            ]
            for name in FACETS
            if name in found.facets
        },
    }


def _history(session: Session, doc_id: int) -> list[dict]:
    stmt = (
        select(StatusChange)
        .where(StatusChange.document_id == doc_id)
        .order_by(StatusChange.at, StatusChange.id)  # a change and its undo may share a time
    )
    return [
        {
            "old_status": c.old_status,
            "old_status_label": status_label(c.old_status) if c.old_status else None,
            "new_status": c.new_status,
            "new_status_label": status_label(c.new_status),
            "since": _iso(c.since),
            "basis_title": c.basis_title,
            "basis_number": c.basis_number,
            "reason": c.reason,
            "note": c.note,
            "superseded_by": c.superseded_by_id,
            "at": c.at.isoformat() if c.at else None,
        }
        for c in session.scalars(stmt)
    ]


def original_file(lib: Library, doc: Document) -> Path | None:
    """The stored untouched original of a document, or None when ingest kept none."""
    if not doc.original_sha256:
        return None
    path = original_path(lib, doc.original_sha256)
    return path if path.is_file() else None


def original_download(lib: Library, doc_id: int) -> tuple[Path, str] | None:
    """The stored original of a document and the name it was ingested under (its folder
    dropped), or None when there is no such document or ingest kept no original."""
    with lib.db.session() as session:
        doc = session.get(Document, doc_id)
        path = original_file(lib, doc) if doc else None
        if doc is None or path is None:
            return None
        return path, (doc.source_file or "").replace("\\", "/").rsplit("/", 1)[-1]


def document_view(lib: Library, doc_id: int) -> dict | None:
    """The full document object for the document page, `/api/documents/<id>` and the CLI.

    It is `docs show --json` (library.documents.document_dict, with the text) plus what a reader
    needs around it: links to the explained document, its interpretations and Q&A, the status
    history, and the download address of the original.
    """
    with lib.db.session() as session:
        doc = session.get(Document, doc_id)
        if doc is None:
            return None
        related = _related(session, {doc.id}, set())[f"doc:{doc.id}"]
        superseded = session.get(Document, doc.superseded_by_id) if doc.superseded_by_id else None
        return document_dict(doc, with_text=True) | {
            "ref": f"doc:{doc.id}",
            "kind_label": KIND_LABELS.get(doc.kind, doc.kind),
            "status_note": doc.status_note,
            "is_current": doc.status in CURRENT_STATUSES,
            "superseded_by_document": _doc_link(superseded) if superseded else None,
            "interprets_document": related["interprets"],
            "interpretations": related["interpretations"],
            "qa": related["qa"],
            "status_history": _history(session, doc.id),
            "has_original": original_file(lib, doc) is not None,
            # What readers may know of hand corrections: which fields, when, why; never who.
            "corrected_fields": [
                {k: f.get(k) for k in ("field", "label", "at", "reason")}
                for f in corrected_fields(doc)
            ],
            "correction_history": [
                {k: h[k] for k in ("at", "action", "fields", "before", "after", "reason")}
                for h in correction_history(session, doc.id)
                if h["fields"]  # a confirm-as-checked changes no field
            ],
        }


def filed_date() -> ColumnElement:
    """The date a reader files a document under: published, else signed, else effective (the
    index's year facet reads the same); lists run newest first by it."""
    return func.coalesce(Document.published_date, Document.signed_date, Document.effective_date)


def document_row(doc: Document | Row) -> dict:
    """One document in a listing (the home page, /api/documents, the catalogue)."""
    return {
        **_doc_link(doc),
        "issuer": doc.issuer,
        "signed_date": _iso(doc.signed_date),
        "published_date": _iso(doc.published_date),
        "effective_date": _iso(doc.effective_date),
        "interprets": doc.interprets_id,
        "source_file": doc.source_file,
    }


def list_documents(
    lib: Library, *, page: int = 1, per_page: int = DEFAULT_PER_PAGE, include_all: bool = False
) -> dict:
    """Newest first; like search, only current documents unless include_all."""
    stmt = select(Document)
    if not include_all:
        stmt = stmt.where(Document.status.in_(CURRENT_STATUSES))
    with lib.db.session() as session:
        total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
        rows = session.scalars(
            stmt.order_by(filed_date().desc().nulls_last(), Document.id.desc())
            .offset((page - 1) * per_page)
            .limit(per_page)
        ).all()
        results = [document_row(d) for d in rows]
    return {
        "total": total,
        "page": page,
        "per_page": per_page,
        "pages": max(1, -(-total // per_page)),
        "include_all": include_all,
        "results": results,
    }


def counts(lib: Library) -> dict[str, int]:
    """What the home page and /healthz report: how much the library holds."""
    with lib.db.session() as session:
        by_kind = dict(
            session.execute(select(Document.kind, func.count()).group_by(Document.kind)).all()
        )
        current = session.scalar(
            select(func.count())
            .select_from(Document)
            .where(Document.kind == "document", Document.status.in_(CURRENT_STATUSES))
        )
        qa = session.scalar(
            select(func.count()).select_from(QAEntry).where(QAEntry.status.in_(PUBLIC_QA_STATUSES))
        )
    return {
        "documents": by_kind.get("document", 0),
        "current_documents": current or 0,
        "interpretations": by_kind.get("interpretation", 0),
        "qa": qa or 0,
    }
