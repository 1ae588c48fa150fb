"""The command line as a front door: `policylib --help` lists every command without loading one,
and a command loads only what it uses (measured by the modules a fresh process ends up with, the
speed itself is in bench/cli_startup.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import click
from click.testing import CliRunner

from cli import COMMANDS, main

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "data" / "samples" / "000_bb9fbcf38e3de303.txt"
# What a command that needs none of them must not pay for.
HEAVY = {"sqlalchemy", "alembic", "whoosh", "jieba", "rjieba", "argon2", "flask", "psycopg"}
# Nor does a status change need the file parsers, sheets, accounts or the web app.
NOT_FOR_STATUS = {"argon2", "flask", "openpyxl", "pdfminer", "docx", "bs4", "webapp"}

PROBE = """
import json, sys
from cli import main
try:
    main(sys.argv[1:])
except SystemExit as exc:
    code = exc.code
print(json.dumps({"code": code, "modules": sorted({m.split(".")[0] for m in sys.modules})}))
"""


def _loaded_by(args: list[str], env: dict[str, str] | None = None) -> tuple[int, set[str]]:
    """Run the CLI in a fresh interpreter; its exit code and the top-level modules it loaded."""
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, *args], cwd=ROOT, capture_output=True, text=True, env=env
    )
    last = json.loads(proc.stdout.strip().splitlines()[-1])
    return last["code"], set(last["modules"])


def test_listing_is_each_commands_own_first_line() -> None:
    ctx = click.Context(main)
    for name, (_, listed) in COMMANDS.items():
        command = main.get_command(ctx, name)
        assert command is not None and command.name == name
        assert command.get_short_help_str(limit=1000) == listed, name


def test_help_lists_every_command_and_loads_no_heavy_module() -> None:
    code, modules = _loaded_by(["--help"])
    assert code == 0
    assert not modules & HEAVY, modules & HEAVY
    assert not {m for m in modules if m in {"library", "indexer", "parsers", "webapp"}}
    out = CliRunner().invoke(main, ["--help"]).output
    for name in COMMANDS:
        assert f"\n  {name} " in out


def test_unknown_command_is_a_usage_error() -> None:
    result = CliRunner().invoke(main, ["no-such-command"])
    assert result.exit_code == 2
    assert "No such command" in result.output


def test_status_set_loads_no_parser_sheet_account_or_web_module(home: Path) -> None:
    runner = CliRunner()
    ingest = runner.invoke(main, ["ingest", "--json", str(SAMPLE)])
    doc_id = json.loads(ingest.output)["files"][0]["document_id"]
    args = ["status", "set", str(doc_id), "repealed", "--reason", "清理", "--basis", "决定"]
    code, modules = _loaded_by(args, env=dict(os.environ))
    assert code in (0, None)
    assert not modules & NOT_FOR_STATUS, modules & NOT_FOR_STATUS
    shown = runner.invoke(main, ["docs", "show", str(doc_id), "--json"])
    assert json.loads(shown.output)["status"] == "repealed"
