"""`policylib qa …` end to end on a real data home."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from cli import main
from tests.qa.support import SAMPLE_QA


def _run(home: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["--home", str(home), *args], catch_exceptions=False)
    return result.exit_code, result.output


def test_qa_commands(home: Path, tmp_path: Path) -> None:
    code, out = _run(home, "qa", "import", str(SAMPLE_QA), "--json")
    assert code == 0 and json.loads(out)["counts"]["new"] == 56 and not json.loads(out)["applied"]
    code, out = _run(home, "qa", "list", "--json")
    assert code == 0 and json.loads(out) == []

    code, out = _run(home, "qa", "import", str(SAMPLE_QA), "--apply")
    assert code == 0 and "新增 56" in out
    code, out = _run(home, "qa", "list", "--status", "published", "--json")
    items = json.loads(out)
    assert len(items) == 56
    assert {"id", "external_id", "question", "status", "source"} <= set(items[0])
    assert {i["source"] for i in items} == {"import"}

    code, out = _run(home, "qa", "search", "社保卡丢了怎么补", "--json")
    results = json.loads(out)["results"]
    assert results[0]["external_id"] == "SAMPLE-SB-002" and "score" in results[0]
    entry_id = results[0]["id"]

    code, out = _run(home, "qa", "review", "flag", str(entry_id), "--reason", "标准调整")
    assert code == 0 and "待复核" in out
    code, out = _run(home, "qa", "review", "list", "--json")
    assert [e["id"] for e in json.loads(out)] == [entry_id]
    code, out = _run(home, "qa", "search", "社保卡丢了怎么补", "--json")
    assert entry_id not in [r["id"] for r in json.loads(out)["results"]]
    code, out = _run(home, "qa", "search", "社保卡丢了怎么补", "--review", "--json")
    assert json.loads(out)["results"][0]["status"] == "needs_review"
    code, out = _run(home, "qa", "review", "approve", str(entry_id), "--note", "已核实")
    assert code == 0 and "已发布" in out

    out_file = tmp_path / "kb.csv"
    code, out = _run(home, "qa", "export", "--format", "csv", "-o", str(out_file))
    assert code == 0 and out_file.read_bytes().startswith(b"\xef\xbb\xbfexternal_id,question")
    code, out = _run(home, "qa", "export", "--format", "json")
    assert json.loads(out)["count"] == 56

    code, out = _run(home, "qa", "topics", "--add", "养犬管理", "--json")
    assert code == 0 and json.loads(out)[0] == "生育" and "养犬管理" in json.loads(out)

    code, out = _run(home, "qa", "show", str(entry_id), "--json")
    shown = json.loads(out)
    assert [v["status"] for v in shown["versions"]] == ["published", "needs_review", "published"]


def test_errors_exit_non_zero(home: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("名称,内容\n甲,乙\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["--home", str(home), "qa", "import", str(bad)])
    assert result.exit_code == 1 and "缺少必需的列" in result.output
    result = CliRunner().invoke(main, ["--home", str(home), "qa", "review", "approve", "999"])
    assert result.exit_code == 1 and "不存在" in result.output
