"""The array scoring of the Whoosh backend (`whoosh_scores.score_all`) against Whoosh's own
matchers: the same documents, the same scores, on an index with several segments and deletions."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import pytest
from whoosh.query import And, AndMaybe, Or, Term

from indexer.backends.whoosh import SearchIndex
from indexer.backends.whoosh_phrase import ExactPhrase
from indexer.backends.whoosh_query import build_query
from indexer.backends.whoosh_scores import score_all
from indexer.query import plan_query
from tests.indexer.conftest import record, seed_records

QUESTIONS = [
    "政务公开工作要点",
    "政府信息公开",
    "基层政务公开标准化规范化",
    "网上办事",
    "\u201c政务公开\u201d 标准",
    "关于印发的通知",
    "怎么申请",
    "高府办发〔2022〕20号",
]


def _paragraph_records() -> list:
    """Every paragraph of the seeds as a record of its own, three times over: over 300 records,
    so the common-word rules of the query builder (`common_limit`) come into play."""
    out = []
    for seed in seed_records():
        paragraphs = [p for p in seed.body.splitlines() if len(p.strip()) > 8]
        for copy in range(3):
            for i, text in enumerate(paragraphs):
                out.append(
                    record(
                        f"doc:{len(out) + 1}",
                        f"{seed.title}（第{i + 1}段）" if copy else text[:30],
                        text,
                        issuer=seed.issuer,
                        kind=seed.kind,
                    )
                )
    return out


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> SearchIndex:
    from tests.indexer.conftest import DICT_DIR

    index = SearchIndex(tmp_path_factory.mktemp("scores") / "index", dictionary_dir=DICT_DIR)
    records = _paragraph_records()
    assert len(records) > 300
    index.upsert(records[: len(records) // 2])
    index.upsert(records[len(records) // 2 :])
    # rewritten records: a later segment holds them, the earlier copies are deleted
    index.upsert([replace(r, body=r.body + "补充说明") for r in records[::7]])
    yield index
    index.close()


def _whoosh(searcher, query) -> dict[int, float]:
    return {hit.docnum: hit.score for hit in searcher.search(query, limit=None)}


def _arrays(searcher, query) -> dict[int, float]:
    found = score_all(searcher, query)
    return {int(d): float(found.scores[d]) for d in found.mask.nonzero()[0]}


def _same(index: SearchIndex, query) -> None:
    def check(searcher) -> None:
        assert len(searcher.leaf_searchers()) > 1 or searcher.reader().has_deletions()
        expected, got = _whoosh(searcher, query), _arrays(searcher, query)
        assert got.keys() == expected.keys()
        for docnum, score in expected.items():
            assert got[docnum] == pytest.approx(score, rel=1e-12), docnum

    index._read(check)


@pytest.mark.parametrize("question", QUESTIONS)
def test_a_planned_query_scores_as_in_whoosh(index: SearchIndex, question: str) -> None:
    plan = plan_query(
        question, index.analyzer, ["高府办发〔2022〕20号"] if "号" in question else []
    )
    query = index._read(lambda s: build_query(plan, s.reader()))
    assert query is not None
    _same(index, query)


def _array_or(parts: list) -> Or:
    q = Or(parts)
    q.matcher_type = Or.ARRAY_MATCHER
    return q


SHAPES: dict[str, Callable[[], object]] = {
    "words in several fields, boosted": lambda: _array_or(
        [Term("title", "政务", boost=3.0), Term("body", "公开"), Term("issuer_text", "高安市")]
    ),
    "all of common words": lambda: _array_or(
        [And([Term("body", "政务"), Term("body", "公开"), Term("body", "工作")])]
    ),
    "exact phrases, boosted": lambda: _array_or(
        [
            ExactPhrase("body", [("政务", 0), ("公开", 2)], boost=0.8),
            ExactPhrase("title", [("政务", 0), ("公开", 2), ("工作", 4)], boost=2.4),
            ExactPhrase("body", [("公开", 0), ("政务", 2)]),  # the words, in the wrong order
        ]
    ),
    "a phrase required, words optional": lambda: AndMaybe(
        And([Or([ExactPhrase(f, [("政务", 0), ("公开", 2)]) for f in ("title", "body")])]),
        _array_or([Term("body", "标准化"), Term("title", "方案", boost=3.0)]),
    ),
    "a word absent from the index": lambda: _array_or(
        [Term("body", "不存在的词"), Term("body", "公开")]
    ),
}


@pytest.mark.parametrize("shape", SHAPES)
def test_every_query_shape_scores_as_in_whoosh(index: SearchIndex, shape: str) -> None:
    _same(index, SHAPES[shape]())


def test_a_deleted_record_is_never_a_match(index: SearchIndex) -> None:
    gone = _paragraph_records()[7]
    query = _array_or([Term("body", w) for w, _, _ in index.analyzer.tokens_of_folded(gone.body)])

    def holds(searcher) -> bool:
        docnums = set(_arrays(searcher, query))
        return any(searcher.stored_fields(d)["id"] == gone.id for d in docnums)

    assert index._read(holds)
    index.delete([gone.id])
    assert not index._read(holds)


def test_an_empty_index_answers_every_kind_of_search(
    make_index: Callable[..., SearchIndex],
) -> None:
    from tests.indexer.conftest import query

    empty = make_index()
    for request in (query(""), query("政务公开"), query("政务公开", sort="date")):
        found = empty.search(request)
        assert (found.total, found.hits) == (0, [])
