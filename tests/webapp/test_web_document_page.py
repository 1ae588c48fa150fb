"""The document page, the original download, and the error pages."""

from __future__ import annotations

from flask.testing import FlaskClient

from tests.web_sample import Sample


def test_document_page_shows_metadata_links_and_text(client: FlaskClient, sample: Sample):
    resp = client.get(f"/documents/{sample.doc}")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    for label in (
        "标题",
        "文号",
        "发文机关",
        "成文日期",
        "发布日期",
        "施行日期",
        "有效期至",
        "有效性",
    ):
        assert f'<th scope="row">{label}</th>' in html
    assert "宣府办〔2023〕41号" in html and "2023-05-22" in html
    assert 'class="badge status-valid">现行有效<' in html
    assert f'href="/documents/{sample.interp}"' in html
    assert f'href="/qa/{sample.qa}"' in html
    assert f"/qa/{sample.draft_qa}" not in html
    assert "<p>二、深化政务公开" in html or html.count("<p>") > 10
    assert f'href="/documents/{sample.doc}/original"' in html


def test_interpretation_links_back_to_its_document(client: FlaskClient, sample: Sample):
    html = client.get(f"/documents/{sample.interp}").get_data(as_text=True)
    assert "本文是对以下文件的解读" in html
    assert f'href="/documents/{sample.doc}"' in html


def test_repealed_document_has_a_prominent_notice_and_history(client: FlaskClient, sample: Sample):
    html = client.get(f"/documents/{sample.repealed}").get_data(as_text=True)
    assert 'class="notice notice-warn"' in html
    assert "本文件已废止" in html
    assert "龙府发〔2020〕9号" in html and "清理：废止" in html


def test_original_download_keeps_the_file_name(client: FlaskClient, sample: Sample):
    resp = client.get(f"/documents/{sample.doc}/original")
    assert resp.status_code == 200
    disposition = resp.headers["Content-Disposition"]
    assert disposition.startswith("attachment")
    assert "003_%E5%AE%A3" in disposition  # RFC 5987 UTF-8 file name, folder dropped
    assert "宣府办〔2023〕41号".encode() in resp.data
    missing = client.get(f"/documents/{sample.repealed}/original")
    assert missing.status_code == 404
    assert "原件未保存" in missing.get_data(as_text=True)


def test_unknown_and_malformed_ids_give_chinese_404(client: FlaskClient, sample: Sample):
    for path in (
        "/documents/999999",
        "/documents/abc",
        "/documents/0",
        "/documents/-1",
        "/documents/99999999999999999999999",
        "/documents/999/original",
        "/no-such-page",
    ):
        resp = client.get(path)
        assert resp.status_code == 404, path
        html = resp.get_data(as_text=True)
        assert "页面不存在" in html and '<html lang="zh-CN"' in html, path


def test_bad_search_parameters_give_chinese_400(client: FlaskClient, sample: Sample):
    cases = {
        "page=-1": "页码",
        "page=abc": "页码",
        "page=0": "页码",
        "page=100000": "页码",
        "per_page=500": "每页条数",
        "status=bogus": "有效性状态",
        "kind=bogus": "类型",
        "sort=bogus": "排序方式",
        "year=20x3": "年份",
        "all=maybe": "all",
    }
    for query, words in cases.items():
        resp = client.get(f"/search?q=政务&{query}")
        assert resp.status_code == 400, query
        html = resp.get_data(as_text=True)
        assert "请求有误" in html and words in html, query
    huge = client.get("/search", query_string={"q": "政" * 2001})
    assert huge.status_code == 400 and "过长" in huge.get_data(as_text=True)


def test_large_text_mode_is_a_cookie_set_by_a_plain_link(client: FlaskClient, sample: Sample):
    html = client.get("/search?q=政务").get_data(as_text=True)
    assert "大字模式" in html and 'class="large-text"' not in html
    resp = client.get("/display?size=large&next=/search%3Fq%3D政务")
    assert resp.status_code == 303 and resp.headers["Location"].startswith("/search?q=")
    html = client.get("/search?q=政务").get_data(as_text=True)
    assert '<html lang="zh-CN" class="large-text">' in html and "标准字号" in html
    client.get("/display?size=normal&next=/")
    assert 'class="large-text"' not in client.get("/").get_data(as_text=True)


def test_text_size_switch_is_not_an_open_redirect(client: FlaskClient):
    for target in ("https://evil.example/", "//evil.example/", "/\\evil.example", "javascript:x"):
        resp = client.get("/display", query_string={"size": "large", "next": target})
        assert resp.headers["Location"] == "/", target


def test_security_headers_on_pages_and_api(client: FlaskClient, sample: Sample):
    for path in ("/", "/api/search?q=x", f"/documents/{sample.doc}", "/nothing"):
        headers = client.get(path).headers
        csp = headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp, path
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "same-origin"


def test_pages_have_no_inline_script_or_style(client: FlaskClient, sample: Sample):
    for path in ("/", "/search?q=政务公开&all=1", f"/documents/{sample.doc}", "/documents"):
        html = client.get(path).get_data(as_text=True)
        assert "<script>" not in html and " style=" not in html and "<style" not in html, path


def test_catalogue_lists_current_documents_with_pagination(client: FlaskClient, sample: Sample):
    html = client.get("/documents?per_page=1").get_data(as_text=True)
    assert "文件目录" in html and "下一页" in html
    everything = client.get("/documents?all=1&per_page=50").get_data(as_text=True)
    assert f'href="/documents/{sample.repealed}"' in everything
