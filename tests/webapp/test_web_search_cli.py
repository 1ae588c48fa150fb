"""`policylib search` gives the same results as /api/search."""

from __future__ import annotations

import json

from click.testing import CliRunner
from flask.testing import FlaskClient

from cli import main
from library.core import Library
from tests.web_sample import Sample


def run(lib: Library, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["--home", str(lib.settings.home), "search", *args])
    return result.exit_code, result.stdout, result.stderr


def test_json_output_is_the_api_object(site: tuple[Library, Sample], client: FlaskClient):
    lib, sample = site
    code, out, _ = run(lib, "宣府办[2023]41号", "--json")
    assert code == 0
    assert json.loads(out) == client.get("/api/search?q=宣府办[2023]41号").get_json()
    code, out, _ = run(lib, "政务公开", "工作要点", "--all", "--json", "--per-page", "3")
    api = client.get("/api/search?q=政务公开 工作要点&all=1&per_page=3").get_json()
    assert code == 0 and json.loads(out) == api


def test_text_output_lists_hits_with_status_and_links(site: tuple[Library, Sample]):
    lib, sample = site
    code, out, _ = run(lib, "政务公开工作要点", "--all")
    assert code == 0
    assert "已废止" in out and f"/documents/{sample.repealed}" in out
    assert f"政策解读：《2023年全县政务公开工作要点》解读  /documents/{sample.interp}" in out
    assert "<mark>" not in out
    code, out, _ = run(lib, "龙城区")
    assert code == 0 and "找到 0 条结果" in out and "--all" in out


def test_bad_options_fail_with_a_message(site: tuple[Library, Sample]):
    lib, _ = site
    code, _, err = run(lib, "政务", "--page", "0")
    assert code == 2 and "页码" in err
    code, _, err = run(lib, "政务", "--status", "bogus")
    assert code == 2 and "有效性状态" in err
