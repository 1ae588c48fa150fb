"""`policylib docs`: list and show stored documents."""

from __future__ import annotations

import click

from library.documents import document_dict, list_documents
from library.models import STATUS_LABELS, Document

from . import pass_lib
from .output import emit_json, fail


@click.group()
def docs() -> None:
    """查看已入库文件。List and show stored documents."""


@docs.command("list")
@click.option("--kind", type=click.Choice(["document", "interpretation"]))
@click.option("--status", type=click.Choice(list(STATUS_LABELS)))
@click.option("--json", "as_json", is_flag=True)
@pass_lib
def list_cmd(lazy, kind: str | None, status: str | None, as_json: bool) -> None:
    """列出文件。"""
    with lazy.get().db.session() as session:
        total, rows = list_documents(session, kind=kind, status=status)
        if as_json:
            emit_json([document_dict(d) for d in rows])
            return
        for d in rows:
            number = d.doc_number or "—"
            click.echo(f"#{d.id}\t{STATUS_LABELS.get(d.status, d.status)}\t{number}\t{d.title}")
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
