"""The public pages through Flask's test client: search, grouping, escaping, validity labels."""

from __future__ import annotations

import re

from flask.testing import FlaskClient

from tests.web_sample import Sample


def text_of(html: str) -> str:
    return re.sub(r"<[^>]+>", "", html)


def test_home_shows_search_box_counts_and_recent_documents(client: FlaskClient, sample: Sample):
    resp = client.get("/")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert '<html lang="zh-CN"' in html
    assert 'name="q"' in html and 'href="#main"' in html
    assert "关于印发《2023年全县政务公开工作要点》的通知" in html
    # The repealed text is not "recent current" material.
    assert "龙城区2019年政务公开工作要点" not in html


def test_default_search_hides_non_current_and_all_shows_them_labelled(
    client: FlaskClient, sample: Sample
):
    default = client.get("/search?q=政务公开工作要点").get_data(as_text=True)
    assert f'href="/documents/{sample.doc}"' in default
    assert f'href="/documents/{sample.repealed}"' not in default
    assert "包含已失效/废止文件" in default

    everything = client.get("/search?q=政务公开工作要点&all=1").get_data(as_text=True)
    item = everything.split(f'href="/documents/{sample.repealed}"', 1)[1].split("</li>", 1)[0]
    assert "已废止" in item
    assert "只看现行有效文件" in everything


def test_document_hit_is_grouped_with_its_interpretation_and_published_qa(
    client: FlaskClient, sample: Sample
):
    html = client.get("/search?q=宣府办〔2023〕41号").get_data(as_text=True)
    first = html.split('<li class="result', 1)[1].split('<li class="result', 1)[0]
    assert f'href="/documents/{sample.doc}"' in first
    assert f'href="/documents/{sample.interp}"' in first and "政策解读" in first
    assert f'href="/qa/{sample.qa}"' in first and "相关问答" in first
    assert f"/qa/{sample.draft_qa}" not in html


def test_doc_number_in_another_bracket_style_finds_the_document(
    client: FlaskClient, sample: Sample
):
    data = client.get("/api/search?q=宣府办[2023]41号").get_json()
    assert data["results"][0]["id"] == sample.doc


def test_script_in_a_title_is_shown_as_text(client: FlaskClient, sample: Sample):
    html = client.get("/search?q=行政执法公示").get_data(as_text=True)
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert" in html
    assert "onerror=alert(1)>" not in html
    page = client.get(f"/documents/{sample.hostile}").get_data(as_text=True)
    assert "<script>alert" not in page and "&lt;script&gt;" in page
    assert "测试机关&lt;b&gt;" in page


def test_snippets_highlight_matched_words(client: FlaskClient, sample: Sample):
    html = client.get("/search?q=政务公开").get_data(as_text=True)
    assert "<mark>" in html


def test_no_results_page_is_friendly_and_points_to_non_current_hits(
    client: FlaskClient, sample: Sample
):
    resp = client.get("/search?q=龙城区")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    # Only the repealed document mentions 龙城区: say so, and offer to include it.
    assert "没有找到" in html
    assert "在已失效、已废止或已修改的文件中有" in html
    nothing = client.get("/search?q=量子纠缠暗物质").get_data(as_text=True)
    assert "没有找到" in nothing and "减少关键词" in nothing


def test_facets_are_links_that_combine_and_can_be_cleared(client: FlaskClient, sample: Sample):
    html = client.get("/search?q=政务公开&all=1").get_data(as_text=True)
    assert "筛选结果" in html
    link = re.search(r'href="(/search\?[^"]*status=repealed[^"]*)"', html)
    assert link, "a status facet link for 已废止"
    filtered = client.get(link.group(1).replace("&amp;", "&")).get_data(as_text=True)
    assert f'href="/documents/{sample.repealed}"' in filtered
    assert f'href="/documents/{sample.doc}"' not in filtered
    assert "清除全部筛选" in filtered


def test_sort_by_date_puts_newest_first(client: FlaskClient, sample: Sample):
    data = client.get("/api/search?q=政务公开&all=1&sort=date&kind=document").get_json()
    dates = [r["date"] for r in data["results"] if r["date"]]
    assert dates == sorted(dates, reverse=True) and len(dates) >= 2


def test_pagination_links_and_page_past_the_end(client: FlaskClient, sample: Sample):
    html = client.get("/search?q=政务公开&all=1&per_page=1").get_data(as_text=True)
    assert 'aria-label="搜索结果分页"' in html and "下一页" in html
    past = client.get("/search?q=政务公开&page=999")
    assert past.status_code == 200
    assert "回到第 1 页" in past.get_data(as_text=True)


def test_empty_query_lists_everything_current(client: FlaskClient, sample: Sample):
    resp = client.get("/search?q=")
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert f'href="/documents/{sample.doc}"' in html
    assert f'href="/documents/{sample.repealed}"' not in html


def test_page_json_twin_matches_the_api(client: FlaskClient, sample: Sample):
    page = client.get("/search?q=政务公开&format=json").get_json()
    api = client.get("/api/search?q=政务公开").get_json()
    assert page == api
    accept = client.get("/search?q=政务公开", headers={"Accept": "application/json"})
    assert accept.get_json() == api


def test_hostile_queries_never_error(client: FlaskClient, sample: Sample):
    for q in [
        '"政务公开',
        "AND",
        "OR NOT",
        "*?~^",
        "((()",
        "政务公开 -",
        "\\",
        "a" * 2000,
        "政务" * 1000,
        "%00",
        "<script>",
        "title:政务",
        "[2023 TO",
    ]:
        resp = client.get("/search", query_string={"q": q})
        assert resp.status_code == 200, q
        api = client.get("/api/search", query_string={"q": q})
        assert api.status_code == 200 and "results" in api.get_json(), q
