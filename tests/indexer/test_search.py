"""Search behaviour on the seed documents and small hand-made records."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from indexer.backends.whoosh import SearchIndex
from indexer.interface import IndexInfo, SearchQuery
from tests.indexer.conftest import SEARCH_BACKENDS, query, record


@pytest.fixture(params=SEARCH_BACKENDS)
def make_index(request: pytest.FixtureRequest, make_index):
    """Every test here runs on both backends: the same behaviour behind the same interface."""
    return make_index if request.param == "whoosh" else request.getfixturevalue("make_pg_index")


def ids(index: SearchIndex, text: str, **kw: object) -> list[str]:
    return [h.id for h in index.search(query(text, per_page=50, **kw)).hits]


def test_simplified_query_finds_traditional_seed_with_converter_litter(seeded: SearchIndex) -> None:
    # seed 000 writes 統(tǒng)籌政務公開 and 002 writes 要點(diǎn): litter must not split the words
    assert "doc:1" in ids(seeded, "统筹政务公开和安全保密")
    assert ids(seeded, "统筹政务公开和安全保密")[0] == "doc:1"
    assert "doc:3" in ids(seeded, "四川省2018年政务公开工作要点")


def test_traditional_query_finds_simplified_text(seeded: SearchIndex) -> None:
    simplified = ids(seeded, "宣汉县政务公开")
    traditional = ids(seeded, "宣漢縣政務公開")
    assert simplified and simplified == traditional
    assert simplified[0] == "doc:4"


def test_snippet_shows_the_readers_script_without_litter(seeded: SearchIndex) -> None:
    hit = next(h for h in seeded.search(SearchQuery(text="统筹")).hits if h.id == "doc:1")
    assert "<mark>統籌</mark>" in hit.snippet
    assert "tǒng" not in hit.snippet


@pytest.mark.parametrize(
    "number",
    ["宣府办〔2023〕41号", "宣府办[2023]41号", "宣府办（2023）41号", "宣府办【2023】041号"],
)
def test_doc_number_in_any_bracket_style_finds_its_document_first(
    seeded: SearchIndex, number: str
) -> None:
    hits = seeded.search(query(number)).hits
    assert hits[0].id == "doc:4"
    assert hits[0].doc_number == "宣府办〔2023〕41号"


def test_doc_number_beats_documents_that_cite_it(make_index) -> None:
    index = make_index()
    index.upsert(
        [
            record("doc:1", "关于转发有关通知的通知", "根据川办发〔2018〕25号文件要求，" * 5),
            record("doc:2", "四川省政务公开工作要点", "正文", doc_number="川办发〔2018〕25号"),
        ]
    )
    assert ids(index, "川办发(2018)25号")[0] == "doc:2"


def test_quoted_phrase_matches_exactly(make_index) -> None:
    index = make_index()
    index.upsert(
        [
            record("doc:1", "甲", "推进个人信息保护工作。"),
            record("doc:2", "乙", "个人的信息需要保护。"),
            record("doc:3", "丙", "保护个人信息。"),
        ]
    )
    assert ids(index, '"个人信息保护"') == ["doc:1"]
    assert ids(index, "“个人信息保护”") == ["doc:1"]
    assert set(ids(index, "个人信息保护")) == {"doc:1", "doc:2", "doc:3"}


def test_phrase_across_a_long_word_boundary(make_index) -> None:
    # 信息保护 is not a word of 个人信息保护法's segmentation, yet it is in the text
    index = make_index()
    index.upsert([record("doc:1", "中华人民共和国个人信息保护法", "正文")])
    assert ids(index, '"信息保护"') == ["doc:1"]
    assert ids(index, '"保护信息"') == []


@pytest.mark.parametrize(
    ("text", "plain"),
    [
        ('"unbalanced quote', "unbalanced quote"),
        ("“半个引号", "半个引号"),
        ("AND", None),
        ("OR NOT", None),
        ("+", None),
        ("-", None),
        ("*", None),
        ("政务 AND OR", "政务"),
        ("((((", None),
        ("\\", None),
        ("<script>alert(1)</script>", "script alert 1"),
        ("title:政务", "title 政务"),
        ("政务~2^3", "政务 2 3"),
        ("\x00\x07", ""),
        ("👍🏽", None),
        ("政务公开" * 500, "政务公开"),
        ("的了吗", "的 了 吗"),
        ("   ", ""),
    ],
)
def test_hostile_queries_read_as_the_plain_words_in_them(
    seeded: SearchIndex, text: str, plain: str | None
) -> None:
    """No query syntax: operators and symbols are punctuation (alone they find nothing), control
    characters and blanks are nothing (the listing of current records), a paste is cut."""
    results = seeded.search(SearchQuery(text=text, per_page=50))
    if plain is None:
        assert results.total == 0 and results.hits == []
        return
    expected = seeded.search(SearchQuery(text=plain, per_page=50))
    assert results.total == expected.total
    assert {h.id for h in results.hits} == {h.id for h in expected.hits}
    assert all("<script" not in h.snippet for h in results.hits)


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=200))
def test_any_text_is_a_valid_query(seeded_once: SearchIndex, text: str) -> None:
    seeded_once.search(SearchQuery(text=text, include_all=True, sort="relevance"))


@pytest.fixture(scope="module", params=SEARCH_BACKENDS)
def seeded_once(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    from indexer.backends.postgres import PgSearchIndex
    from tests.db_backends import fresh_pg_database
    from tests.indexer.conftest import DICT_DIR, seed_records

    if request.param == "whoosh":
        index = SearchIndex(tmp_path_factory.mktemp("hyp") / "index", dictionary_dir=DICT_DIR)
        index.upsert(seed_records())
        yield index
        index.close()
        return
    with fresh_pg_database("policylib_search") as url:
        index = PgSearchIndex(url, dictionary_dir=DICT_DIR)
        index.upsert(seed_records())
        yield index
        index.close()


def test_long_paste_is_cut_not_refused(seeded: SearchIndex) -> None:
    paste = (seeded.search(SearchQuery(text="政务公开")).hits[0].snippet * 40)[:5000]
    results = seeded.search(SearchQuery(text=paste))
    assert results.total > 0
    assert len(results.terms) <= 60


def test_empty_query_lists_newest_current_first(seeded: SearchIndex) -> None:
    results = seeded.search(SearchQuery(text=""))
    assert results.total == 5
    dates = [h.date for h in results.hits]
    assert dates == sorted(dates, reverse=True)


def _statuses(index: SearchIndex) -> None:
    index.upsert(
        [
            record("doc:1", "养老服务条例", "养老服务", status="valid"),
            record("doc:2", "养老服务条例", "养老服务旧版", status="repealed"),
            record("doc:3", "养老服务办法", "养老服务", status="expired"),
            record("doc:4", "养老补贴部分失效", "养老服务", status="partially_invalid"),
            record("qa:1", "养老服务怎么申请", "答：养老服务", kind="qa", status="published"),
            record("qa:2", "养老服务草稿问答", "答：养老服务", kind="qa", status="draft"),
            record("doc:5", "养老服务条例解读", "养老服务", kind="interpretation"),
        ]
    )


def test_default_shows_current_records_only_all_shows_everything(make_index) -> None:
    index = make_index()
    _statuses(index)
    assert set(ids(index, "养老服务")) == {"doc:1", "doc:4", "qa:1", "doc:5"}
    everything = index.search(SearchQuery(text="养老服务", include_all=True, per_page=50))
    assert {h.id for h in everything.hits} == {f"doc:{i}" for i in range(1, 6)} | {"qa:1", "qa:2"}
    assert {h.id: h.status for h in everything.hits}["doc:2"] == "repealed"
    assert set(ids(index, "养老服务", statuses=["draft"])) == {"qa:2"}


def test_one_query_returns_documents_interpretations_and_qa(make_index) -> None:
    index = make_index()
    _statuses(index)
    kinds = {h.kind for h in index.search(SearchQuery(text="养老服务")).hits}
    assert kinds == {"document", "interpretation", "qa"}
    assert set(ids(index, "养老服务", kinds=["qa"])) == {"qa:1"}


def test_current_version_ranks_above_the_old_one_even_when_all_shown(make_index) -> None:
    index = make_index()
    index.upsert(
        [
            record(
                "doc:1",
                "物业管理条例",
                "物业 " * 30,
                status="amended",
                published_date=date(2018, 1, 1),
            ),
            record(
                "doc:2", "物业管理条例", "物业", status="valid", published_date=date(2024, 1, 1)
            ),
            record(
                "doc:3",
                "物业管理条例",
                "物业 " * 30,
                status="valid",
                published_date=date(2003, 1, 1),
            ),
        ]
    )
    assert ids(index, "物业管理条例", include_all=True) == ["doc:2", "doc:3", "doc:1"]


def test_an_older_valid_version_sinks_below_another_law(make_index) -> None:
    index = make_index()
    index.upsert(
        [
            record("doc:1", "军人抚恤优待条例", "补助 " * 30, published_date=date(2019, 1, 1)),
            record("doc:2", "军人抚恤优待条例", "补助 " * 30, published_date=date(2024, 1, 1)),
            record("doc:3", "退役军人保障法", "补助 " * 30, published_date=date(2020, 1, 1)),
        ]
    )
    assert ids(index, "补助")[2] == "doc:1"  # the 2019 text no longer holds the second place


def test_title_that_is_the_question_beats_a_mention(make_index) -> None:
    index = make_index()
    index.upsert(
        [
            record("doc:1", "关于加强基层治理的意见", "工伤保险条例 " * 40 + "工伤保险"),
            record("doc:2", "工伤保险条例", "第一条 为了保障因工作遭受事故伤害的职工"),
        ]
    )
    assert ids(index, "工伤保险条例")[0] == "doc:2"


def test_synonym_finds_the_formal_word(make_index) -> None:
    index = make_index()
    index.upsert([record("doc:1", "城市居民最低生活保障条例", "最低生活保障")])
    assert ids(index, "低保怎么申请") == ["doc:1"]
    hit = index.search(SearchQuery(text="低保")).hits[0]
    assert "<mark>最低生活保障</mark>" in hit.title_html


def test_facets_count_and_filters_combine(seeded: SearchIndex) -> None:
    results = seeded.search(SearchQuery(text="政务公开"))
    assert dict(results.facets["kind"]) == {"document": 3, "interpretation": 2}
    assert dict(results.facets["year"])["2023"] == 1
    assert results.facets["issuer"][0] == ("高安市人民政府办公室", 4)
    filtered = seeded.search(
        SearchQuery(text="政务公开", filters={"kind": ["document"], "year": ["2022", "2023"]})
    )
    assert {h.id for h in filtered.hits} == {"doc:4", "doc:5"}
    assert filtered.total == 2
    assert dict(filtered.facets["kind"]) == {"document": 2}
    nothing = seeded.search(SearchQuery(text="政务公开", filters={"issuer": ["不存在的机关"]}))
    assert nothing.total == 0 and nothing.hits == []


def test_pagination_and_sort_by_date(seeded: SearchIndex) -> None:
    pages = [
        seeded.search(SearchQuery(text="政务公开", page=p, per_page=2, sort="date"))
        for p in (1, 2, 3, 4)
    ]
    assert [len(p.hits) for p in pages] == [2, 2, 1, 0]
    assert all(p.total == 5 for p in pages)
    assert pages[0].pages == 3
    order = [h.id for p in pages for h in p.hits]
    assert len(set(order)) == 5
    dates = [h.date for p in pages for h in p.hits]
    assert dates == sorted(dates, reverse=True)
    by_relevance = [
        h.id
        for p in (1, 2, 3)
        for h in seeded.search(SearchQuery(text="政务公开", page=p, per_page=2)).hits
    ]
    assert sorted(by_relevance) == sorted(order)


def test_highlights_are_escaped(make_index) -> None:
    index = make_index()
    index.upsert(
        [
            record(
                "doc:1", "<script>alert('政务')</script>公开", "<b>政务</b> & <img src=x onerror=1>"
            )
        ]
    )
    hit = index.search(SearchQuery(text="政务")).hits[0]
    assert hit.title == "<script>alert('政务')</script>公开"  # the plain title stays as written
    assert "<script>" not in hit.title_html and "&lt;script&gt;" in hit.title_html
    assert "<mark>政务</mark>" in hit.title_html
    assert "<b>" not in hit.snippet and "<img" not in hit.snippet
    assert "&lt;b&gt;<mark>政务</mark>&lt;/b&gt; &amp;" in hit.snippet


def test_hit_carries_the_record_fields(seeded: SearchIndex) -> None:
    hit = seeded.search(query("宣府办〔2023〕41号")).hits[0]
    assert hit.kind == "document" and hit.status == "valid"
    assert hit.issuer == "宣汉县人民政府办公室"
    assert hit.date == "2023-05-22"
    assert hit.source_file.startswith("003_")
    assert hit.score > 0


def test_delete_removes_from_search(seeded: SearchIndex) -> None:
    seeded.delete(["doc:4"])
    assert "doc:4" not in ids(seeded, "宣汉县")
    assert seeded.count() == 4


def test_law_before_its_implementing_rules(make_index) -> None:
    index = make_index()
    index.upsert(
        [
            record("doc:1", "道路交通安全法实施条例", "饮酒后驾驶机动车 处罚 " * 20),
            record("doc:2", "道路交通安全法", "饮酒后驾驶机动车的，处罚款"),
        ]
    )
    assert ids(index, "喝酒开车怎么处罚") == ["doc:2", "doc:1"]


def test_a_word_in_a_short_title_outranks_it_in_a_long_one(make_index) -> None:
    """BM25F normalises title length: a title that is little more than the word is about it."""
    index = make_index()
    body = "第一条 为了保障公众身体健康和生命安全，制定本办法。"
    index.upsert(
        [
            record("doc:1", "关于进一步做好农村集体聚餐和校园周边食品安全管理工作的若干意见", body),
            record("doc:2", "食品安全管理办法", body),
        ]
    )
    assert ids(index, "食品安全")[0] == "doc:2"


def test_a_text_that_keeps_returning_to_the_word_outranks_a_passing_mention(make_index) -> None:
    """Term frequency counts well past the first few occurrences of a word (bodies the same
    length, so only how often the word is there differs)."""
    index = make_index()

    def body(times: int) -> str:
        return "住房公积金 " * times + "条款 " * (40 - times)

    index.upsert(
        [record("doc:1", "甲市管理办法", body(9)), record("doc:2", "乙市管理办法", body(30))]
    )
    assert ids(index, "住房公积金")[0] == "doc:2"


def test_a_record_saying_a_rare_word_often_outranks_more_than_a_page_of_weaker_matches(
    make_index,
) -> None:
    """130 issuers named 银发经济 score above one mention of it in a long body, but below the
    record whose body keeps returning to it: the PostgreSQL backend leaves out of its candidates
    only rows whose best possible score is below the page, and this one is not."""
    index = make_index()
    records = [
        record(f"doc:{i}", f"第{i}号通知", "其他事项。" * 20, issuer="银发经济") for i in range(130)
    ]
    records += [record(f"doc:f{i}", f"第{i}号其他通知", "其他事项。" * 20) for i in range(800)]
    records.append(record("doc:x", "关于做好有关工作的通知", "银发经济。" * 30 + "其他事项。" * 70))
    index.upsert(records)
    results = index.search(query("银发经济"))
    assert results.total == 131
    assert results.hits[0].id == "doc:x"


def test_a_synonym_of_several_words_counts_only_where_they_stand_together(make_index) -> None:
    """饭店 means 餐饮服务: its words count where they form it, not where they lie apart."""
    index = make_index()
    index.upsert(
        [
            record("doc:1", "甲规定", "卫生 " + "餐饮 另行 服务 " * 10),
            record("doc:2", "乙规定", "卫生 餐饮服务 " + "另行 条款 " * 14),
        ]
    )
    assert ids(index, "饭店卫生")[0] == "doc:2"


def test_a_synonym_of_several_words_finds_and_counts_each_record_once(make_index) -> None:
    """A record holding the synonym's words together is found by it alone, once even when a
    word of the query finds it too (facets included); the words apart find nothing."""
    index = make_index()
    index.upsert(
        [
            record("doc:1", "甲规定", "卫生 " + "餐饮 另行 服务 " * 10, issuer="甲局"),
            record("doc:2", "乙规定", "检查 餐饮服务 " + "另行 条款 " * 14, issuer="乙局"),
            record("doc:3", "丙规定", "饭店 餐饮服务 " + "另行 条款 " * 14, issuer="乙局"),
        ]
    )
    results = index.search(query("饭店", per_page=50))
    assert sorted(h.id for h in results.hits) == ["doc:2", "doc:3"]
    assert results.total == 2
    assert dict(results.facets["issuer"]) == {"乙局": 2}


def test_info_has_the_same_keys_on_both_backends(seeded: SearchIndex) -> None:
    info = seeded.info()
    assert set(info) == set(IndexInfo.__annotations__)
    assert info["backend"] in ("whoosh", "postgres")
    assert info["count"] == 5 and info["building"] is None
    assert info["generation"] and info["built_at"] and info["dictionary_changed"] is False


def test_a_status_change_after_searches_shows_in_hits_totals_and_facets(make_index) -> None:
    """Searches run first, so whatever a backend keeps between searches is warm (the Whoosh one
    keeps per-segment facts across index generations); every search after a write reflects it."""
    index = make_index()
    index.upsert([record(f"doc:{i}", f"养老护理第{i}号通知", "护理补贴发放") for i in range(30)])

    def found(**kw: object) -> tuple[int, set[str], dict[str, int]]:
        results = index.search(query("护理补贴", per_page=50, **kw))
        return results.total, {h.id for h in results.hits}, dict(results.facets["status"])

    assert found()[0] == 30
    index.upsert([record("doc:7", "养老护理第7号通知", "护理补贴发放", status="repealed")])
    total, hits, statuses = found()
    assert (total, "doc:7" in hits, statuses) == (29, False, {"valid": 29})
    assert found(include_all=True)[2] == {"valid": 29, "repealed": 1}
    index.delete(["doc:8"])
    assert found()[0] == 28
    index.upsert([record("doc:7", "养老护理第7号通知", "护理补贴发放", status="valid")])
    total, hits, statuses = found()
    assert (total, "doc:7" in hits, statuses) == (29, True, {"valid": 29})


def test_a_record_matched_only_in_its_body_comes_first_among_hundreds_matched_in_titles(
    make_index,
) -> None:
    """More rows match than the PostgreSQL backend scores in full (it takes the best of a cheap
    first score as candidates): the one record holding the rare words, in its body only, must
    still be found and ranked first."""
    index = make_index()
    records = [record(f"doc:{i}", f"关于养老机构的第{i}号通知", "其他事项") for i in range(260)]
    records += [
        record(f"doc:{i}", f"关于托育机构的第{i}号通知", "其他事项") for i in range(260, 520)
    ]
    records.append(record("doc:x", "关于做好有关工作的通知", "发展银发经济，兼顾养老与托育。"))
    index.upsert(records)
    results = index.search(query("养老 托育 银发经济"))
    assert results.total == 521
    assert results.hits[0].id == "doc:x"
