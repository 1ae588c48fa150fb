"""`policylib`: the command line for the whole product. Each command group lives in its own module."""

from __future__ import annotations

import importlib

import click
from sqlalchemy.exc import OperationalError

from indexer.errors import SearchIndexError

from ..config import ConfigError
from ..core import Library

# Modules below this package that each export `COMMANDS`, a list of click commands or groups.
COMMAND_MODULES = [
    "ingest_cmds",
    "docs_cmds",
    "search_cmds",
    "serve_cmds",
    "status_cmds",
    "cleanup_cmds",
    "users_cmds",
    "audit_cmds",
    "export_cmds",
    "qa_cmds",
    "ops_cmds",
    "demo_cmds",
    "db_cmds",
]


class LazyLibrary:
    """Opens the data home only when a command needs it, so `--help` works anywhere."""

    def __init__(self, home: str | None) -> None:
        self.home = home
        self._lib: Library | None = None

    def get(self) -> Library:
        if self._lib is None:
            self._lib = Library.open(self.home)
        return self._lib


pass_lib = click.make_pass_decorator(LazyLibrary)


class _Main(click.Group):
    """What an operator can fix (a setting, an unreachable database or index) ends a command
    with one line saying so, not a traceback; commands that handle these themselves still do."""

    def invoke(self, ctx: click.Context):  # noqa: ANN201 - click's protocol
        try:
            return super().invoke(ctx)
        except ConfigError as exc:
            raise click.ClickException(f"配置错误 / configuration error: {exc}") from exc
        except OperationalError as exc:
            raise click.ClickException(
                f"数据库错误 / database error: {exc.orig}; check database_url "
                "(POLICYLIB_DATABASE_URL or config.toml) and that the database server is running"
            ) from exc
        except SearchIndexError as exc:
            raise click.ClickException(f"检索索引错误 / search index error: {exc}") from exc


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
    ctx.call_on_close(lambda: ctx.obj._lib.close() if ctx.obj._lib else None)


for _name in COMMAND_MODULES:
    for _cmd in importlib.import_module(f"{__name__}.{_name}").COMMANDS:
        main.add_command(_cmd)

__all__ = ["main", "pass_lib", "LazyLibrary"]
