"""`policylib db copy`: move a library to another database (SQLite to PostgreSQL)."""

from __future__ import annotations

import click
from sqlalchemy.engine import make_url

from . import pass_lib
from .output import emit_json, fail


@click.group("db")
def db_group() -> None:
    """数据库迁移（SQLite 到 PostgreSQL）。Copy the library to another database."""


@db_group.command("copy")
@click.argument("target_url")
@click.option("--json", "as_json", is_flag=True, help="stdout: rows copied per table as JSON.")
@pass_lib
def copy_cmd(lazy, target_url: str, as_json: bool) -> None:
    """把本库复制到另一个空数据库 (copy this library, ids and all, into an EMPTY database), e.g.
    postgresql+psycopg://policylib@db-host/policylib. Stop the web app and timers first; then
    point every node at TARGET_URL (database_url in config.toml or POLICYLIB_DATABASE_URL)."""
    from library.dbcopy import CopyError, copy_database

    lib = lazy.get()
    progress = None if as_json else (lambda t, n: click.echo(f"… {t}: {n}", err=True))
    try:
        counts = copy_database(lib.settings.database_url, target_url, progress=progress)
    except CopyError as exc:
        fail(f"复制失败，目标库未改动 / copy failed, target unchanged: {exc}")
    if as_json:
        emit_json({"target": _shown(target_url), "rows": counts})
        return
    click.echo(f"已复制 {sum(counts.values())} 行 / rows copied to {_shown(target_url)}")
    click.echo(
        "下一步 / next: set database_url (or POLICYLIB_DATABASE_URL) to the target on every node; "
        "with search_backend = postgres run `policylib reindex --full` once (docs/scaling.md)."
    )


def _shown(url: str) -> str:
    """The target as the operator may see it in a terminal or a log: no password."""
    return make_url(url).render_as_string(hide_password=True)
