"""`policylib users`: staff accounts (admin, legal, editor, agent). Passwords never on the command line."""

from __future__ import annotations

import sys

import click

from library.models import ROLES
from library.users import (
    ROLE_LABELS,
    UserError,
    add_user,
    list_users,
    reset_password,
    set_disabled,
    set_role,
)

from . import pass_lib
from ._actor import cli_actor
from .output import emit_json, fail


def _read_password(stdin: bool) -> str:
    """From stdin (one line, for scripts) or an interactive prompt typed twice."""
    if stdin or not sys.stdin.isatty():
        line = sys.stdin.readline().rstrip("\r\n")
        if not line:
            fail("标准输入中没有密码 / no password on stdin")
        return line
    return click.prompt("密码 / password", hide_input=True, confirmation_prompt=True)


@click.group()
def users() -> None:
    """账号管理。Staff accounts and roles."""


@users.command("add")
@click.argument("name")
@click.option("--role", required=True, type=click.Choice(ROLES))
@click.option("--password-stdin", is_flag=True, help="Read the password from stdin.")
@pass_lib
def add(lazy, name: str, role: str, password_stdin: bool) -> None:
    """新增账号（密码从提示或标准输入读取）。"""
    password = _read_password(password_stdin)
    try:
        with lazy.get().db.session() as session:
            add_user(session, name, role, password, actor=cli_actor())
    except UserError as exc:
        fail(str(exc))
    click.echo(f"已新增账号 {name}（{ROLE_LABELS[role]}）")


@users.command("list")
@click.option("--json", "as_json", is_flag=True)
@pass_lib
def list_cmd(lazy, as_json: bool) -> None:
    """列出账号。"""
    with lazy.get().db.session() as session:
        rows = [
            {
                "name": u.name,
                "role": u.role,
                "disabled": u.disabled,
                "created_at": u.created_at.isoformat() if u.created_at else None,
                "last_login_at": u.last_login_at.isoformat() if u.last_login_at else None,
            }
            for u in list_users(session)
        ]
    if as_json:
        emit_json(rows)
        return
    for u in rows:
        state = "已停用" if u["disabled"] else "启用"
        last = (u["last_login_at"] or "从未登录")[:19]
        click.echo(f"{u['name']}\t{ROLE_LABELS[u['role']]}\t{state}\t最近登录 {last}")


def _toggle(lazy, name: str, disabled: bool) -> None:
    try:
        with lazy.get().db.session() as session:
            set_disabled(session, name, disabled, actor=cli_actor())
    except UserError as exc:
        fail(str(exc))


@users.command("disable")
@click.argument("name")
@pass_lib
def disable(lazy, name: str) -> None:
    """停用账号（立即退出其所有会话）。"""
    _toggle(lazy, name, True)
    click.echo(f"已停用 {name}")


@users.command("enable")
@click.argument("name")
@pass_lib
def enable(lazy, name: str) -> None:
    """重新启用账号。"""
    _toggle(lazy, name, False)
    click.echo(f"已启用 {name}")


@users.command("set-role")
@click.argument("name")
@click.argument("role", type=click.Choice(ROLES))
@pass_lib
def set_role_cmd(lazy, name: str, role: str) -> None:
    """更改账号角色。"""
    try:
        with lazy.get().db.session() as session:
            set_role(session, name, role, actor=cli_actor())
    except UserError as exc:
        fail(str(exc))
    click.echo(f"{name} 的角色已改为 {ROLE_LABELS[role]}")


@users.command("reset-password")
@click.argument("name")
@click.option("--password-stdin", is_flag=True, help="Read the new password from stdin.")
@pass_lib
def reset(lazy, name: str, password_stdin: bool) -> None:
    """重设密码（该账号的已登录会话随之失效）。"""
    password = _read_password(password_stdin)
    try:
        with lazy.get().db.session() as session:
            reset_password(session, name, password, actor=cli_actor())
    except UserError as exc:
        fail(str(exc))
    click.echo(f"已重设 {name} 的密码")
