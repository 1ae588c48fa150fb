"""`policylib docs`: list and show stored documents; correct, check and link them by hand."""

from __future__ import annotations

import click

from library import checkqueue, corrections, linking
from library.documents import document_dict, staff_listing
from library.models import STATUS_LABELS, Document
from library.status_labels import status_label

from . import pass_lib
from ._actor import cli_actor
from .output import emit_json, fail


@click.group()
def docs() -> None:
    """查看、更正、核对已入库文件。List, show, correct, check and link stored documents."""


@docs.command("list")
@click.option("--kind", type=click.Choice(["document", "interpretation"]))
@click.option("--status", type=click.Choice(list(STATUS_LABELS)))
@click.option("--json", "as_json", is_flag=True)
@pass_lib
def list_cmd(lazy, kind: str | None, status: str | None, as_json: bool) -> None:
    """列出文件。"""
    with lazy.get().db.session() as session:
        total, rows = staff_listing(session, kind=kind, status=status)
        if as_json:
            emit_json([document_dict(d) for d in rows])
            return
        for d in rows:
            number = d.doc_number or "—"
            click.echo(f"#{d.id}\t{status_label(d.status)}\t{number}\t{d.title}")
        click.echo(f"共 {total} 件")


@docs.command("show")
@click.argument("doc_id", type=int)
@click.option("--json", "as_json", is_flag=True)
@click.option("--text", "with_text", is_flag=True, help="Include the full text.")
@pass_lib
def show_cmd(lazy, doc_id: int, as_json: bool, with_text: bool) -> None:
    """显示一件文件的元数据及其依据。"""
    with lazy.get().db.session() as session:
        doc = session.get(Document, doc_id)
        if doc is None:
            fail(f"没有编号为 {doc_id} 的文件 / no document {doc_id}: see `policylib docs list`")
        data = document_dict(doc, with_text=with_text)
    if as_json:
        emit_json(data)
        return
    labels = {"title": "标题", "kind": "类型", "doc_number": "文号", "issuer": "发文机关"}
    labels |= {"signed_date": "成文日期", "published_date": "发布日期"}
    labels |= {"effective_date": "施行日期", "expiry_date": "有效期至", "status_label": "有效性"}
    labels |= {"interprets": "解读对象", "source_file": "原始文件"}
    for key, label in labels.items():
        ev = data["evidence"].get(key)
        where = f"  （依据：第{ev['line']}行 {ev['source'][:40]}）" if ev and ev.get("line") else ""
        click.echo(f"{label}：{data[key] if data[key] is not None else '—'}{where}")
    if with_text:
        click.echo("\n" + data["text"])


def _edit_options(fn):  # a click decorator stack
    """One option per correctable field; an empty value ("") clears the field."""
    for field in reversed(corrections.EDITABLE):
        flag = "--" + field.replace("_", "-")
        fn = click.option(flag, field, default=None, help=f"{corrections.field_label(field)}")(fn)
    return fn


def _say_changes(doc_id: int, done: dict, as_json: bool) -> None:
    rows = {
        f: {"from": corrections.to_json(a), "to": corrections.to_json(b)}
        for f, (a, b) in done.items()
    }
    if as_json:
        emit_json({"id": doc_id, "changed": rows})
        return
    for field, row in rows.items():
        click.echo(
            f"#{doc_id} {corrections.field_label(field)}：{row['from'] or '—'} → {row['to'] or '—'}"
        )


@docs.command("edit")
@click.argument("doc_id", type=int)
@_edit_options
@click.option("--reason", default=None, help="更正理由（记入审计记录）。")
@click.option("--json", "as_json", is_flag=True)
@pass_lib
def edit_cmd(lazy, doc_id: int, reason: str | None, as_json: bool, **fields: str | None) -> None:
    """更正文件的元数据（标题、文号、发文机关、日期等），留痕且保持于重新入库之后。

    Dates as YYYY-MM-DD; an empty value clears a field, e.g. --topic "".
    """
    changes = {k: v for k, v in fields.items() if v is not None}
    if not changes:
        fail("没有要更正的字段；例如 --doc-number '龙政办发〔2019〕12号' / nothing to change")
    try:
        done = corrections.correct(lazy.get(), doc_id, changes, actor=cli_actor(), reason=reason)
    except corrections.CorrectionError as exc:
        fail(str(exc))
    _say_changes(doc_id, done, as_json)


@docs.command("revert")
@click.argument("doc_id", type=int)
@click.argument("field", type=click.Choice(list(corrections.FIELD_LABELS)))
@click.option("--reason", default=None)
@click.option("--json", "as_json", is_flag=True)
@pass_lib
def revert_cmd(lazy, doc_id: int, field: str, reason: str | None, as_json: bool) -> None:
    """把一个人工更正过的字段恢复为解析结果。"""
    try:
        old, parser = corrections.revert(
            lazy.get(), doc_id, field, actor=cli_actor(), reason=reason
        )
    except corrections.CorrectionError as exc:
        fail(str(exc))
    _say_changes(doc_id, {field: (old, parser)}, as_json)


@docs.command("queue")
@click.option("--reason", type=click.Choice(list(checkqueue.REASONS)), default=None)
@click.option("--limit", type=click.IntRange(1, 100_000), default=50, show_default=True)
@click.option("--json", "as_json", is_flag=True)
@pass_lib
def queue_cmd(lazy, reason: str | None, limit: int, as_json: bool) -> None:
    """待核对队列：解析有疑问、缺少应有字段或字段互相矛盾的文件，新入库的在前。"""
    with lazy.get().db.session() as session:
        data = checkqueue.queue(session, reason=reason, limit=limit)
    if as_json:
        emit_json(data)
        return
    counts = "，".join(f"{checkqueue.REASONS[k]} {n}" for k, n in data["counts"].items() if n)
    click.echo(f"待核对 {data['total']} 件" + (f"（{counts}）" if counts else ""))
    for item in data["items"]:
        why = "、".join(r["label"] for r in item["reasons"])
        click.echo(f"#{item['id']}\t{why}\t{item['doc_number'] or '—'}\t{item['title']}")


@docs.command("check")
@click.argument("doc_id", type=int)
@click.option("--note", default=None, help="核对说明（记入审计记录）。")
@click.option("--json", "as_json", is_flag=True)
@pass_lib
def check_cmd(lazy, doc_id: int, note: str | None, as_json: bool) -> None:
    """确认已核对：文件各项信息无误，移出待核对队列（留痕）。"""
    try:
        reasons = checkqueue.confirm_checked(lazy.get(), doc_id, actor=cli_actor(), note=note)
    except checkqueue.CheckError as exc:
        fail(str(exc))
    if as_json:
        emit_json({"id": doc_id, "handled": checkqueue.reason_list(reasons)})
        return
    labels = "、".join(checkqueue.REASONS[r] for r in reasons)
    click.echo(f"#{doc_id} 已确认核对（{labels}），移出待核对队列")


def _link(lazy, interp_id: int, doc_id: int | None, reason: str | None) -> None:
    try:
        linking.link_by_hand(lazy.get(), interp_id, doc_id, actor=cli_actor(), reason=reason)
    except linking.LinkError as exc:
        fail(str(exc))


@docs.command("link")
@click.argument("interp_id", type=int)
@click.argument("doc_id", type=int)
@click.option("--reason", default=None)
@pass_lib
def link_cmd(lazy, interp_id: int, doc_id: int, reason: str | None) -> None:
    """把政策解读 INTERP_ID 关联到它所解读的文件 DOC_ID（人工关联，重新入库后保持）。"""
    _link(lazy, interp_id, doc_id, reason)
    click.echo(f"解读 #{interp_id} 已关联到文件 #{doc_id}")


@docs.command("unlink")
@click.argument("interp_id", type=int)
@click.option("--reason", default=None)
@pass_lib
def unlink_cmd(lazy, interp_id: int, reason: str | None) -> None:
    """解除政策解读 INTERP_ID 与所解读文件的关联（重新入库后不会自动恢复）。"""
    _link(lazy, interp_id, None, reason)
    click.echo(f"解读 #{interp_id} 已解除关联")


COMMANDS = [docs]
