"""`policylib status`: change a document's status, apply date-driven changes, handle proposals."""

from __future__ import annotations

from datetime import date

import click

from library.models import STATUS_LABELS
from library.status_labels import status_label
from library.validity.common import ValidityError
from library.validity.dates import apply_due_transitions
from library.validity.history import change_dict, status_history
from library.validity.proposals import (
    confirm_proposal,
    pending_proposals,
    proposal_dict,
    reject_proposal,
)
from library.validity.status import change_status

from . import pass_lib
from ._actor import cli_actor
from .output import emit_json, fail

DATE = click.DateTime(formats=["%Y-%m-%d"])


@click.group()
def status() -> None:
    """时效性：变更状态、按日期自动变更、处理替代建议。Validity status."""


@status.command("set")
@click.argument("doc_id", type=int)
@click.argument("new_status", metavar="STATUS", type=click.Choice(list(STATUS_LABELS)))
@click.option("--reason", required=True, help="变更理由 (required).")
@click.option("--basis", required=True, help="依据：决定名称及文号 (required).")
@click.option("--since", type=DATE, help="起始日期 YYYY-MM-DD (default: today).")
@click.option("--note", help="备注；部分失效时写明失效部分 (required for partially_invalid).")
@click.option("--superseded-by", type=int, help="取代它的新版本文件编号。")
@click.option("--json", "as_json", is_flag=True)
@pass_lib
def set_cmd(
    lazy,
    doc_id: int,
    new_status: str,
    reason: str,
    basis: str,
    since,
    note: str | None,
    superseded_by: int | None,
    as_json: bool,
) -> None:
    """变更一件文件的状态。Set the status of document DOC_ID."""
    try:
        change = change_status(
            lazy.get(),
            doc_id,
            new_status,
            actor=cli_actor(),
            reason=reason,
            basis=basis,
            since=since.date() if since else None,
            note=note,
            superseded_by_id=superseded_by,
        )
    except ValidityError as exc:
        fail(str(exc))
    if as_json:
        emit_json(change_dict(change))
        return
    click.echo(
        f"文件 #{doc_id}：{status_label(change.old_status)} → "
        f"{status_label(change.new_status)}（自 {change.since}）"
    )


@status.command("apply-due")
@click.option("--today", type=DATE, help="按此日期判断 (default: today); for tests and catch-up.")
@click.option("--json", "as_json", is_flag=True)
@pass_lib
def apply_due(lazy, today, as_json: bool) -> None:
    """按施行日期和有效期自动变更状态（操作人 system）。Apply date-driven transitions."""
    day = today.date() if today else date.today()
    done = apply_due_transitions(lazy.get(), day)
    if as_json:
        emit_json({"today": day.isoformat(), "changes": [t.as_dict() for t in done]})
        return
    for t in done:
        click.echo(
            f"#{t.document_id}\t{status_label(t.old_status)} → {status_label(t.new_status)}"
            f"\t{t.reason}\t{t.title}"
        )
    click.echo(f"{day.isoformat()}：共 {len(done)} 件变更")


@status.command("history")
@click.argument("doc_id", type=int)
@click.option("--json", "as_json", is_flag=True)
@pass_lib
def history(lazy, doc_id: int, as_json: bool) -> None:
    """一件文件的状态变更记录。Status history of a document."""
    with lazy.get().db.session() as session:
        rows = status_history(session, doc_id)
    if as_json:
        emit_json(rows)
        return
    for h in rows:
        mark = "（已撤销）" if h["reverted"] else ""
        click.echo(
            f"{h['at'][:19]}\t{h['actor']}\t{h['old_status_label'] or '—'} → "
            f"{h['new_status_label']}{mark}\t依据：{h['basis'] or '—'}\t理由：{h['reason'] or '—'}"
        )


@status.group("proposals", invoke_without_command=True)
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def proposals(ctx: click.Context, as_json: bool) -> None:
    """待确认的替代建议（列出；或 confirm / reject）。Pending replacement proposals."""
    if ctx.invoked_subcommand is not None:
        return
    lib = ctx.obj.get()
    with lib.db.session() as session:
        rows = [proposal_dict(session, p) for p in pending_proposals(session)]
    if as_json:
        emit_json(rows)
        return
    for p in rows:
        click.echo(
            f"建议 #{p['id']}\t文件 #{p['document_id']}《{p['document_title']}》 → "
            f"{p['proposed_status_label']}\t{p['reason']}"
        )
    click.echo(f"共 {len(rows)} 条待确认")


@proposals.command("confirm")
@click.argument("proposal_id", type=int)
@click.option("--basis", help="依据 (default: the replacing document's title and 文号).")
@click.option("--reason", help="理由 (default: the proposal's reason).")
@pass_lib
def confirm(lazy, proposal_id: int, basis: str | None, reason: str | None) -> None:
    """采纳建议并变更状态。"""
    try:
        change = confirm_proposal(
            lazy.get(), proposal_id, actor=cli_actor(), basis=basis, reason=reason
        )
    except ValidityError as exc:
        fail(str(exc))
    click.echo(f"已采纳建议 #{proposal_id}：文件 #{change.document_id} → {change.new_status}")


@proposals.command("reject")
@click.argument("proposal_id", type=int)
@click.option("--reason", required=True, help="不采纳的理由。")
@pass_lib
def reject(lazy, proposal_id: int, reason: str) -> None:
    """不采纳建议。"""
    try:
        reject_proposal(lazy.get(), proposal_id, actor=cli_actor(), reason=reason)
    except ValidityError as exc:
        fail(str(exc))
    click.echo(f"已不采纳建议 #{proposal_id}")
