"""`policylib qa`: the hotline's Q&A base from the command line (import, list, search, export, review)."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from sqlalchemy import select

from library.models import QA_STATUSES, Document
from library.qa import stats as qa_stats
from library.qa.entries import (
    TOPIC_MAX,
    QAError,
    ensure_topic,
    entry_dict,
    list_topics,
    load_documents,
)
from library.qa.export import WRITERS, build_export
from library.qa.extract import drafts_from_interpretation, link_pending_bases
from library.qa.importer import import_file
from library.qa.search import HOTLINE_STATUSES, search_entries
from library.qa.workflow import (
    approve,
    commit_and_index,
    flag_for_review,
    get_entry,
    list_entries,
    retire,
    review_queue,
    versions,
)
from library.status_labels import status_label

from . import pass_lib
from ._actor import cli_actor
from .output import emit_json, fail


@click.group()
def qa() -> None:
    """高频政策问答库：导入、列表、检索、导出、审核。Hotline Q&A base."""


@qa.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--apply", "write", is_flag=True, help="写入（默认只预览）。Apply; default is preview."
)
@click.option("--json", "as_json", is_flag=True)
@pass_lib
def import_cmd(lazy, file: Path, write: bool, as_json: bool) -> None:
    """导入 XLSX/CSV/JSON 问答表；先预览，加 --apply 写入。Import a Q&A sheet."""
    try:
        report = import_file(lazy.get(), file, actor=cli_actor(), write=write)
    except QAError as exc:
        fail(str(exc))
    if as_json:
        emit_json(report.to_dict())
        return
    labels = {"new": "新增", "update": "更新", "unchanged": "未变", "error": "错误"}
    for r in report.rows:
        line = f"第 {r.row} 行  {labels[r.outcome]}  {r.external_id or '-'}  {r.question or ''}"
        if r.reason:
            line += f"  —— {r.reason}"
        elif r.changes and r.outcome == "update":
            line += f"  （变更：{', '.join(r.changes)}）"
        click.echo(line)
        for w in r.warnings:
            click.echo(f"    提示：{w}")
    counts = "，".join(f"{labels[k]} {v}" for k, v in report.counts.items())
    verb = "已写入" if report.applied else "预览（未写入；加 --apply 写入）"
    click.echo(f"{verb}：{counts}")


@qa.command("list")
@click.option("--status", type=click.Choice(QA_STATUSES), help="只列出此状态。")
@click.option("--topic", help="只列出此分类。")
@click.option("--json", "as_json", is_flag=True)
@pass_lib
def list_cmd(lazy, status: str | None, topic: str | None, as_json: bool) -> None:
    """列出问答条目。List entries."""
    with lazy.get().db.session() as session:
        total, entries = list_entries(session, status=status, topic=topic)
        docs = load_documents(session, entries)
        items = [entry_dict(e, docs) for e in entries]
    if as_json:
        emit_json(items)
        return
    for e in items:
        click.echo(
            f"#{e['id']:<5} {status_label(e['status'], 'qa'):<4} {e['topic'] or '-':<6} "
            f"{e['external_id'] or '-':<16} {e['question']}"
        )
    click.echo(f"共 {total} 条")


@qa.command("show")
@click.argument("entry_id", type=int)
@click.option("--json", "as_json", is_flag=True)
@pass_lib
def show_cmd(lazy, entry_id: int, as_json: bool) -> None:
    """显示一条问答及其版本历史。Show one entry with its versions."""
    with lazy.get().db.session() as session:
        try:
            entry = get_entry(session, entry_id)
        except QAError as exc:
            fail(str(exc))
        item = entry_dict(entry, load_documents(session, [entry]))
        item["versions"] = versions(session, entry_id)
    if as_json:
        emit_json(item)
        return
    click.echo(f"#{item['id']} [{item['status_label']}] {item['question']}")
    for s in item["similar_questions"]:
        click.echo(f"  相似问法：{s}")
    click.echo(item["answer"])
    for b in item["basis"]:
        click.echo(f"  依据：{b['title'] or b['ref']}（{b['status_label']}）")
    if item["review_reason"]:
        click.echo(f"  复核原因：{item['review_reason']}")
    click.echo(f"  第 {item['version']} 版，最后复核：{item['last_reviewed_at'] or '从未'}")


@qa.command("search")
@click.argument("query")
@click.option("--review", "with_review", is_flag=True, help="也包括待复核条目。")
@click.option("--limit", default=10, show_default=True, type=click.IntRange(1, 100))
@click.option("--json", "as_json", is_flag=True)
@pass_lib
def search_cmd(lazy, query: str, with_review: bool, limit: int, as_json: bool) -> None:
    """按来电人的说法查找答案（默认只含已发布）。Find answers."""
    statuses = HOTLINE_STATUSES if with_review else ("published",)
    results = search_entries(lazy.get(), query, statuses=statuses, limit=limit)
    if as_json:
        emit_json({"query": query, "results": results})
        return
    if not results:
        click.echo("没有找到相关问答。")
    for i, r in enumerate(results, 1):
        flag = " [待复核]" if r["status"] == "needs_review" else ""
        click.echo(f"{i}. #{r['id']} {r['question']}{flag}  ({r['score']})")


@qa.command("export")
@click.option(
    "--format", "fmt", type=click.Choice(list(WRITERS)), default="json", show_default=True
)
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="默认写到标准输出。"
)
@pass_lib
def export_cmd(lazy, fmt: str, output: Path | None) -> None:
    """导出可对外提供的问答（已发布且依据现行有效）。Export for the hotline knowledge store."""
    export = build_export(lazy.get(), fmt)
    if output is None:
        if fmt == "xlsx" and sys.stdout.isatty():
            fail("XLSX 是二进制文件；请用 -o 文件名 指定输出。")
        sys.stdout.buffer.write(export.body)
        sys.stdout.flush()
        return
    output.write_bytes(export.body)
    click.echo(f"已导出 {export.count} 条到 {output}（ETag {export.etag}）", err=True)


@qa.group("review")
def review() -> None:
    """审核：待复核队列、审核发布、停用、标记复核。Review workflow."""


@review.command("list")
@click.option("--json", "as_json", is_flag=True)
@pass_lib
def review_list(lazy, as_json: bool) -> None:
    """列出待处理条目（待复核、草稿、复核到期）。"""
    with lazy.get().db.session() as session:
        queue = review_queue(session)
    if as_json:
        emit_json(queue)
        return
    for e in queue:
        reason = f"  —— {e['review_reason']}" if e["review_reason"] else ""
        click.echo(f"#{e['id']:<5} {e['queue']:<4} {e['question']}{reason}")
    click.echo(f"共 {len(queue)} 条待处理")


def _run(lazy, work) -> None:
    try:
        entry = commit_and_index(lazy.get(), work)
    except QAError as exc:
        fail(str(exc))
    click.echo(f"#{entry.id} → {status_label(entry.status, 'qa')}")


@review.command("approve")
@click.argument("entry_id", type=int)
@click.option("--note", help="审核意见。")
@pass_lib
def review_approve(lazy, entry_id: int, note: str | None) -> None:
    """审核通过并发布。Approve and publish."""
    _run(lazy, lambda s: approve(s, entry_id, actor=cli_actor(), note=note))


@review.command("retire")
@click.argument("entry_id", type=int)
@click.option("--reason", required=True, help="停用原因。")
@pass_lib
def review_retire(lazy, entry_id: int, reason: str) -> None:
    """停用条目。Retire."""
    _run(lazy, lambda s: retire(s, entry_id, actor=cli_actor(), reason=reason))


@review.command("flag")
@click.argument("entry_id", type=int)
@click.option("--reason", required=True, help="需要复核的原因。")
@pass_lib
def review_flag(lazy, entry_id: int, reason: str) -> None:
    """把已发布条目退回待复核。Send back for review."""
    _run(lazy, lambda s: flag_for_review(s, entry_id, actor=cli_actor(), reason=reason))


@qa.command("extract")
@click.argument("doc_ids", nargs=-1, type=int)
@click.option("--json", "as_json", is_flag=True)
@pass_lib
def extract_cmd(lazy, doc_ids: tuple[int, ...], as_json: bool) -> None:
    """从问答体政策解读中提取草稿（默认全部解读）。Draft entries from interpretations."""

    def work(session):
        stmt = select(Document).where(Document.kind == "interpretation")
        if doc_ids:
            stmt = stmt.where(Document.id.in_(doc_ids))
        return [e for d in session.scalars(stmt) for e in drafts_from_interpretation(session, d)]

    drafts = commit_and_index(lazy.get(), work)
    if as_json:
        emit_json({"drafts": [{"id": e.id, "question": e.question} for e in drafts]})
        return
    click.echo(f"新增或更新草稿 {len(drafts)} 条")


@qa.command("relink")
@pass_lib
def relink_cmd(lazy) -> None:
    """把按原文保存的依据关联到已入库的文件。Resolve pending basis references."""
    linked = commit_and_index(lazy.get(), lambda s: link_pending_bases(s, actor=cli_actor()))
    click.echo(f"已关联 {len(linked)} 条问答的依据")


@qa.command("topics")
@click.option("--add", "new", multiple=True, help="新增分类（可重复）。Add a topic.")
@click.option("--json", "as_json", is_flag=True)
@pass_lib
def topics_cmd(lazy, new: tuple[str, ...], as_json: bool) -> None:
    """列出或新增问答分类。List or add topics."""
    with lazy.get().db.session() as session:
        for name in new:
            if not name.strip() or len(name.strip()) > TOPIC_MAX:
                fail(f"分类名称不能为空，且不超过 {TOPIC_MAX} 字。")
            ensure_topic(session, name.strip())
        names = list_topics(session)
    if as_json:
        emit_json(names)
        return
    click.echo("、".join(names))


@qa.command("stats")
@click.option("--period", type=click.Choice(list(qa_stats.GRANULARITIES)), default="week")
@click.option("--json", "as_json", is_flag=True)
@pass_lib
def stats_cmd(lazy, period: str, as_json: bool) -> None:
    """高频问题与未解决查询。Most asked questions and unanswered queries."""
    with lazy.get().db.session() as session:
        data = qa_stats.overview(session, period)
    if as_json:
        emit_json(data)
        return
    click.echo(f"{data['period']['label']}：查询 {data['totals']['queries']} 次")
    for row in data["top_questions"]:
        click.echo(f"  {row['count']:>5}  {row['question']}")
    click.echo("未找到有用答案的查询：")
    for row in data["unanswered"]:
        click.echo(f"  {row['count']:>5}  {row['example']}")
