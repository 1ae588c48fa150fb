"""`policylib audit`: read the audit trail (who changed what, when, before and after, on what basis)."""

from __future__ import annotations

import click

from library import audit as trail

from . import pass_lib
from .output import emit_json

DATE = click.DateTime(formats=["%Y-%m-%d"])


@click.command()
@click.option("--actor", help="操作人 (exact).")
@click.option("--action", help="操作，如 status.change，或一类如 status、cleanup、user、qa。")
@click.option("--entity", "entity_type", help="对象类型: document, qa, user, cleanup_batch.")
@click.option("--id", "entity_id", help="对象编号。")
@click.option("--batch", "batch_id", type=int, help="清理批次编号。")
@click.option("--from", "start", type=DATE, help="起始日期 YYYY-MM-DD (UTC).")
@click.option("--to", "end", type=DATE, help="截止日期 YYYY-MM-DD (inclusive, UTC).")
@click.option("--limit", type=int, default=200, show_default=True)
@click.option("--json", "as_json", is_flag=True)
@pass_lib
def audit(
    lazy,
    actor: str | None,
    action: str | None,
    entity_type: str | None,
    entity_id: str | None,
    batch_id: int | None,
    start,
    end,
    limit: int,
    as_json: bool,
) -> None:
    """审计记录（新的在前）。The audit trail, newest first, with filters."""
    with lazy.get().db.session() as session:
        rows = [
            trail.entry_dict(e)
            for e in trail.query(
                session,
                actor=actor,
                action=action,
                entity_type=entity_type,
                entity_id=entity_id,
                batch_id=batch_id,
                start=start.date() if start else None,
                end=end.date() if end else None,
                limit=limit,
            )
        ]
    if as_json:
        emit_json(rows)
        return
    for e in rows:
        what = f"{e['entity_type']}#{e['entity_id']}"
        extra = "".join(
            f"\t{label}：{e[k]}" for k, label in (("basis", "依据"), ("reason", "理由")) if e[k]
        )
        click.echo(f"{e['at'][:19]}\t{e['actor']}\t{e['action']}\t{what}{extra}")
