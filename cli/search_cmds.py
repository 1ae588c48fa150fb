"""`policylib search`: the public search from the command line, same results as /api/search."""

from __future__ import annotations

import html
import re
from typing import TYPE_CHECKING

import click

from library import search_params as svc
from library.search import search

from . import pass_lib
from .output import emit_json, fail

if TYPE_CHECKING:
    from library.core import Library

_TAGS = re.compile(r"<[^>]+>")


def _plain(snippet: str | None) -> str:
    """Snippets carry <mark> highlights for pages; a terminal wants the bare text."""
    return html.unescape(_TAGS.sub("", snippet or "")).replace("\n", " ")


def _with_urls(lib: Library, result: dict) -> dict:
    """The result with the site's addresses, as /api/search serves it: the web app's own
    url_for builds them (the library knows none)."""
    from webapp import create_app
    from webapp.links import with_urls

    with create_app(lib).test_request_context():
        return with_urls(result)


@click.command("search")
@click.argument("query", nargs=-1, required=True)
@click.option(
    "--all", "include_all", is_flag=True, help="包含已失效/废止文件 (include non-current)."
)
@click.option("--kind", "kinds", multiple=True, type=click.Choice(list(svc.KIND_LABELS)))
@click.option("--status", "statuses", multiple=True, help="有效性 filter, e.g. valid, repealed.")
@click.option("--issuer", multiple=True, help="发文机关 filter (repeatable).")
@click.option("--year", multiple=True, help="年份 filter, e.g. 2023 (repeatable).")
@click.option("--sort", type=click.Choice(list(svc.SORTS)), default="relevance", show_default=True)
@click.option("--page", type=int, default=1, show_default=True)
@click.option("--per-page", type=int, default=svc.DEFAULT_PER_PAGE, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print the /api/search object.")
@pass_lib
def search_cmd(
    lazy,
    query: tuple[str, ...],
    include_all: bool,
    kinds: tuple[str, ...],
    statuses: tuple[str, ...],
    issuer: tuple[str, ...],
    year: tuple[str, ...],
    sort: str,
    page: int,
    per_page: int,
    as_json: bool,
) -> None:
    """搜索文件、解读和问答（默认只搜现行有效文件）。Search like the public site does."""
    args = {
        "q": [" ".join(query)],
        "all": ["1" if include_all else "0"],
        "kind": list(kinds),
        "status": list(statuses),
        "issuer": list(issuer),
        "year": list(year),
        "sort": [sort],
        "page": [str(page)],
        "per_page": [str(per_page)],
    }
    try:
        params = svc.parse_params(args)
    except svc.SearchParamError as exc:
        fail(f"--{exc.param.replace('_', '-')}: {exc.message}", code=2)
    result = _with_urls(lazy.get(), search(lazy.get(), params))
    if as_json:
        emit_json(result)
        return
    scope = "全部文件" if include_all else "现行有效文件"
    click.echo(
        f"在{scope}中找到 {result['total']} 条结果（第 {result['page']}/{result['pages']} 页）"
    )
    for n, r in enumerate(result["results"], start=(result["page"] - 1) * result["per_page"] + 1):
        badge = r["kind_label"] if r["type"] == "qa" else f"{r['kind_label']}·{r['status_label']}"
        number = f"  {r['doc_number']}" if r["doc_number"] else ""
        click.echo(f"\n{n}. [{badge}] {r['title']}{number}")
        click.echo(f"   {r['url']}")
        if r["snippet"]:
            click.echo(f"   {_plain(r['snippet'])[:200]}")
        rel = r["related"]
        for label, items in (
            ("解读的文件", [rel["interprets"]] if rel["interprets"] else []),
            ("政策解读", rel["interpretations"]),
            ("相关问答", rel["qa"]),
            ("政策依据", rel["bases"]),
        ):
            for item in items:
                click.echo(f"   {label}：{item['title']}  {item['url']}")
    if result["total"] == 0 and not include_all:
        click.echo("提示：加 --all 可在已失效、已废止的文件中搜索。")
