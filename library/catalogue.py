"""The catalogue (标准目录): every document browsable by the facets search has, with counts.

It reads the database, not the index: the catalogue is the authoritative list, and a clerk's
correction or link shows here the moment it is committed. Filters are the search's
(`SearchParams`: kind, status, issuer, year, level, topic, `all`), so a catalogue link and a
search link mean the same thing. Each facet counts the documents matching every *other* filter,
so the alternatives to a chosen value stay visible; years are listed newest first.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, Integer, Row, cast, func, select
from sqlalchemy.orm import Session

from indexer.records import CURRENT_STATUSES

from .core import Library
from .listings import document_row, filed_date
from .models import Document
from .models.documents import filed_order
from .search_params import FACET_VALUES, FACETS, SearchParams, facet_label


def _year() -> ColumnElement:
    """The year of `filed_date`, as the index's year facet counts it."""
    return cast(func.extract("year", filed_date()), Integer)


def _column(facet: str) -> ColumnElement:
    return {
        "kind": Document.kind,
        "status": Document.status,
        "issuer": Document.issuer,
        "level": Document.level,
        "topic": Document.topic,
        "year": _year(),
    }[facet]


def _conditions(params: SearchParams, skip: str | None = None) -> list[ColumnElement]:
    where: list[ColumnElement] = []
    for facet in FACETS:
        if facet == skip:
            continue
        chosen = params.selected(facet)
        if facet == "status" and not chosen and not params.include_all:
            chosen = tuple(CURRENT_STATUSES)
        if chosen:
            values = [int(v) for v in chosen] if facet == "year" else list(chosen)
            where.append(_column(facet).in_(values))
    return where


def _facet(session: Session, params: SearchParams, facet: str) -> list[dict]:
    col = _column(facet)
    n = func.count()
    stmt = select(col, n).where(col.is_not(None), *_conditions(params, skip=facet)).group_by(col)
    stmt = stmt.order_by(col.desc()) if facet == "year" else stmt.order_by(n.desc(), col)
    rows = session.execute(stmt.limit(FACET_VALUES)).all()
    chosen = params.selected(facet)
    return [
        {
            "value": str(value),
            "label": facet_label(facet, str(value)),
            "count": count,
            "selected": str(value) in chosen,
        }
        for value, count in rows
        if str(value) != ""
    ]


def _summary(row: Row) -> dict:
    return document_row(row) | {"level": row.level, "topic": row.topic}


def browse(lib: Library, params: SearchParams) -> dict:
    """One catalogue page: the matching documents, newest first, and every facet with counts."""
    columns = [getattr(Document, c) for c in ("id", "title", "kind", "doc_number", "issuer")]
    columns += [getattr(Document, c) for c in ("status", "signed_date", "published_date")]
    columns += [Document.effective_date, Document.level, Document.topic, Document.interprets_id]
    columns += [Document.source_file]
    where = _conditions(params)
    with lib.db.session() as session:
        total = session.scalar(select(func.count()).select_from(Document).where(*where)) or 0
        rows = session.execute(
            select(*columns)
            .where(*where)
            .order_by(filed_order().desc(), Document.id.desc())
            .offset((params.page - 1) * params.per_page)
            .limit(params.per_page)
        ).all()
        facets = {name: _facet(session, params, name) for name in FACETS}
    return {
        "total": total,
        "page": params.page,
        "per_page": params.per_page,
        "pages": max(1, -(-total // params.per_page)),
        "include_all": params.include_all,
        "filters": {name: list(params.selected(name)) for name in FACETS if params.selected(name)},
        "facets": facets,
        "results": [_summary(row) for row in rows],
    }
