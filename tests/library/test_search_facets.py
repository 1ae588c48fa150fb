"""Facet lists in search results: a province has hundreds of issuers; a page lists the most
frequent ones, keeps what the user chose, and says how many it left out."""

from __future__ import annotations

import hashlib

from library import indexing
from library.core import Library
from library.models import Document
from library.search import FACET_VALUES, search
from library.search_params import parse_params

ISSUERS = FACET_VALUES + 5


def _store_many_issuers(lib: Library) -> None:
    """Issuer i issues i + 1 documents: the counts order the issuers, the rarest come last."""
    ids = []
    with lib.db.session() as s:
        for i in range(ISSUERS):
            for copy in range(i + 1 if i < 3 else 1):
                title = f"关于做好养老服务补贴发放工作的通知（{i}-{copy}）"
                doc = Document(
                    title=title,
                    issuer=f"第{i:02d}区民政局",
                    text=f"{title}。养老服务补贴按月发放。",
                    content_hash=hashlib.sha256(title.encode()).hexdigest(),
                )
                s.add(doc)
                s.flush()
                ids.append(doc.id)
    indexing.refresh(lib, doc_ids=ids)


def test_a_facet_lists_its_most_frequent_values_and_counts_the_rest(lib: Library) -> None:
    _store_many_issuers(lib)
    result = search(lib, parse_params({"q": "养老服务补贴"}))
    issuers = result["facets"]["issuer"]
    assert len(issuers) == FACET_VALUES
    assert [f["value"] for f in issuers[:3]] == ["第02区民政局", "第01区民政局", "第00区民政局"]
    assert result["facets_more"] == {"issuer": ISSUERS - FACET_VALUES}
    assert sum(f["count"] for f in issuers) < result["total"]


def test_a_chosen_value_beyond_the_first_ones_is_listed(lib: Library) -> None:
    _store_many_issuers(lib)
    rare = f"第{ISSUERS - 1:02d}区民政局"
    everything = search(lib, parse_params({"q": "养老服务补贴"}))
    assert rare not in [f["value"] for f in everything["facets"]["issuer"]]
    chosen = search(lib, parse_params({"q": "养老服务补贴", "issuer": rare}))
    assert chosen["total"] == 1
    assert [f["value"] for f in chosen["facets"]["issuer"]] == [rare]
    assert chosen["facets_more"] == {}
