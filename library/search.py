"""Search as the public sees it: the one call the pages, the JSON API and the CLI make.

It wraps `lib.index.search` with what the index cannot know: the 政策 + 解读 + 问答 links read from
the database (`related`), the database's status for hits the index is behind on
(`index_backlog`), and the Chinese names of kinds, statuses and facet values. The request
itself is parsed in `search_params`.
"""

from __future__ import annotations

import html

from indexer.records import CURRENT_STATUSES

from . import index_backlog
from .core import Library
from .models import STATUS_LABELS
from .related import related_links
from .search_params import FACET_VALUES, FACETS, KIND_LABELS, SearchParams, facet_label
from .status_labels import status_label


def _split_ref(ref: str) -> tuple[str, int]:
    prefix, _, num = ref.partition(":")
    return prefix, int(num)


def search(lib: Library, params: SearchParams) -> dict:
    """Run one search and return the object `/api/search` serves and `policylib search --json` prints."""
    found = lib.index.search(params.to_query())
    doc_ids = {_split_ref(h.id)[1] for h in found.hits if h.id.startswith("doc:")}
    qa_ids = {_split_ref(h.id)[1] for h in found.hits if h.id.startswith("qa:")}
    with lib.db.session() as session:
        related = related_links(session, doc_ids, qa_ids)
        fresh = index_backlog.behind_statuses(session, doc_ids)
    visible = set(params.visible_statuses() or CURRENT_STATUSES)
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
    facets = {
        name: [
            (v, n) for v, n in found.facets.get(name, []) if name != "status" or v in STATUS_LABELS
        ]
        for name in FACETS
        if name in found.facets
    }
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
        "facets": {name: _facet(name, values) for name, values in facets.items()},
        "facets_more": {
            name: len(values) - FACET_VALUES
            for name, values in facets.items()
            if len(values) > FACET_VALUES
        },
    }


def _facet(name: str, values: list[tuple[object, int]]) -> list[dict]:
    """A facet's first FACET_VALUES values by count (a province has hundreds of issuers: listing
    them all made a page of ten hits 100 kB of JSON). Chosen values are always among them: a
    facet is counted over the filtered matches, and at most MAX_FILTER_VALUES (20) are chosen."""
    return [
        {"value": str(value), "label": facet_label(name, str(value)), "count": count}
        for value, count in values[:FACET_VALUES]
    ]
