"""`policylib`: the command line, the product's front door. It sits beside `webapp` above
`library`; each command group lives in a module of its own, imported only when that command runs,
so `policylib --help` and a single command pay for nothing else (no jieba, SQLAlchemy, Whoosh …)."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from library.core import Library

# name -> ("module:attribute", the line `policylib --help` lists it with). The listing is kept
# here so that `--help` imports no command module; tests/cli/test_cli_startup.py checks that each
# line is the first sentence of the command's own help.
COMMANDS: dict[str, tuple[str, str]] = {
    "audit": (
        "cli.audit_cmds:audit",
        "审计记录（新的在前）。The audit trail, newest first, with filters.",
    ),
    "backup": (
        "cli.ops_cmds:backup",
        "备份数据库、原始文件和配置到一个 .tar.gz。Back up while the app runs (SQLite homes).",
    ),
    "cleanup": (
        "cli.cleanup_cmds:cleanup",
        "清理结果表：预览、执行、撤销。Cleanup result sheets (XLSX or CSV).",
    ),
    "db": (
        "cli.db_cmds:db_group",
        "数据库迁移（SQLite 到 PostgreSQL）。Copy the library to another database.",
    ),
    "demo": (
        "cli.demo_cmds:demo",
        "载入示例文件与问答并启动网站。Load the sample documents and Q&A, then serve.",
    ),
    "docs": (
        "cli.docs_cmds:docs",
        "查看、更正、核对已入库文件。List, show, correct, check and link stored documents.",
    ),
    "export": (
        "cli.export_cmds:export",
        "导出目录与变更清单。Export lists (the file suffix picks XLSX or CSV).",
    ),
    "health": (
        "cli.ops_cmds:health",
        "运行状况（与 /healthz 相同）。Exit 0 ok, 1 warning, 2 error: for monitoring scripts.",
    ),
    "ingest": (
        "cli.ingest_cmds:ingest",
        "导入文件或文件夹（递归）。Ingest files or folders: docx, pdf, html, txt, md, doc, and scans "
        "(image-only PDF pages, png/jpg/tif) read by OCR.",
    ),
    "qa": ("cli.qa_cmds:qa", "高频政策问答库：导入、列表、检索、导出、审核。Hotline Q&A base."),
    "reindex": (
        "cli.ops_cmds:reindex",
        "重新扫描来源文件夹并重建索引（每周定时任务）。Re-scan the source folders, apply due "
        "status changes, rebuild the index and swap it in without downtime.",
    ),
    "restore": (
        "cli.ops_cmds:restore",
        "从备份恢复，然后重建索引。Restore a backup into an empty home (stop the server first).",
    ),
    "search": (
        "cli.search_cmds:search_cmd",
        "搜索文件、解读和问答（默认只搜现行有效文件）。Search like the public site does.",
    ),
    "serve": (
        "cli.serve_cmds:serve_cmd",
        "启动网站和接口。Serve the public site, the API and the staff pages.",
    ),
    "status": (
        "cli.status_cmds:status",
        "时效性：变更状态、按日期自动变更、处理替代建议。Validity status.",
    ),
    "users": ("cli.users_cmds:users", "账号管理。Staff accounts and roles."),
}


class LazyLibrary:
    """Opens the data home only when a command needs it, so `--help` works anywhere."""

    def __init__(self, home: str | None) -> None:
        self.home = home
        self._lib: Library | None = None

    def get(self) -> Library:
        if self._lib is None:
            from library.core import Library

            self._lib = Library.open(self.home)
        return self._lib

    def close(self) -> None:
        if self._lib is not None:
            self._lib.close()


pass_lib = click.make_pass_decorator(LazyLibrary)


def operator_error(exc: Exception) -> str | None:
    """The one line for what an operator can fix (a setting, an unreachable database or search
    index), or None for anything else. The exception classes are looked up here, not imported at
    the top, so that commands that never touch the database do not load SQLAlchemy."""
    from sqlalchemy.exc import OperationalError

    from indexer.errors import SearchIndexError
    from library.config import ConfigError

    if isinstance(exc, ConfigError):
        return f"配置错误 / configuration error: {exc}"
    if isinstance(exc, OperationalError):
        return (
            f"数据库错误 / database error: {exc.orig}; check database_url "
            "(POLICYLIB_DATABASE_URL or config.toml) and that the database server is running"
        )
    if isinstance(exc, SearchIndexError):
        return f"检索索引错误 / search index error: {exc}"
    return None


class _Main(click.Group):
    """Commands are loaded by name when run (click's lazy group); what an operator can fix ends a
    command with one line saying so, not a traceback; commands that handle these themselves
    still do."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            return None
        module, _, attr = COMMANDS[cmd_name][0].partition(":")
        return getattr(importlib.import_module(module), attr)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The listing from COMMANDS, shortened the way click shortens a command's own help."""
        limit = formatter.width - 6 - max(len(name) for name in COMMANDS)
        rows = [
            (name, click.Command(name, help=COMMANDS[name][1]).get_short_help_str(limit))
            for name in self.list_commands(ctx)
        ]
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except Exception as exc:
            message = operator_error(exc)
            if message is None:
                raise
            raise click.ClickException(message) from exc


@click.group(cls=_Main, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--home",
    envvar="POLICYLIB_HOME",
    type=click.Path(file_okay=False, path_type=str),
    help="数据目录 (data home): database, index, originals, logs, config.toml.",
)
@click.version_option(package_name="policylib")
@click.pass_context
def main(ctx: click.Context, home: str | None) -> None:
    """Policy Library 规范性文件库: documents, interpretations, validity, search and hotline Q&A."""
    ctx.obj = LazyLibrary(home)
    ctx.call_on_close(ctx.obj.close)


__all__ = ["COMMANDS", "LazyLibrary", "main", "operator_error", "pass_lib"]
