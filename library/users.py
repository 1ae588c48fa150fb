"""Staff accounts: argon2 password hashes, roles, disabling, and the sign-in check.

Every change to an account goes to the audit trail; a password never does, nor its hash.
"""

from __future__ import annotations

import logging
import re

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import select
from sqlalchemy.orm import Session

from . import audit, staff_sessions
from .models import ROLES, User, utcnow

log = logging.getLogger("policylib.users")

MIN_PASSWORD = 10
ROLE_LABELS = {"admin": "管理员", "legal": "法制机构", "editor": "编辑", "agent": "热线坐席"}
_NAME = re.compile(r"^[\w.@-]{2,50}$")
_hasher = PasswordHasher()
# Verified when the name is unknown, so a wrong name costs the same time as a wrong password.
_DUMMY_HASH = _hasher.hash("policylib-no-such-user")


class UserError(ValueError):
    """An account request that cannot be done; the message says why."""


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise UserError(f"密码至少 {MIN_PASSWORD} 个字符。")
    if password.strip() != password:
        raise UserError("密码首尾不能有空格。")


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise UserError(f"未知的角色“{role}”；可用：{', '.join(ROLES)}。")


def get_user(session: Session, name: str) -> User | None:
    return session.scalar(select(User).where(User.name == name))


def _require(session: Session, name: str) -> User:
    user = get_user(session, name)
    if user is None:
        raise UserError(f"用户“{name}”不存在；请用 `policylib users list` 查看。")
    return user


def add_user(session: Session, name: str, role: str, password: str, *, actor: str) -> User:
    if not _NAME.match(name):
        raise UserError("用户名须为 2-50 个字母、数字、汉字或 . _ @ - 字符。")
    _check_role(role)
    _check_password(password)
    if get_user(session, name) is not None:
        raise UserError(f"用户“{name}”已存在；如需改密码请用 `policylib users reset-password`。")
    user = User(name=name, role=role, password_hash=_hasher.hash(password))
    session.add(user)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="user.add",
        entity_type="user",
        entity_id=user.id,
        after={"name": name, "role": role},
    )
    return user


def list_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.name)))


def set_disabled(session: Session, name: str, disabled: bool, *, actor: str) -> User:
    user = _require(session, name)
    if user.disabled != disabled:
        audit.record(
            session,
            actor=actor,
            action="user.disable" if disabled else "user.enable",
            entity_type="user",
            entity_id=user.id,
            before={"disabled": user.disabled},
            after={"disabled": disabled},
        )
        user.disabled = disabled
    if disabled:
        staff_sessions.end_all(session, user.id)
    return user


def set_role(session: Session, name: str, role: str, *, actor: str) -> User:
    _check_role(role)
    user = _require(session, name)
    if user.role != role:
        audit.record(
            session,
            actor=actor,
            action="user.role",
            entity_type="user",
            entity_id=user.id,
            before={"role": user.role},
            after={"role": role},
        )
        user.role = role
    return user


def reset_password(session: Session, name: str, password: str, *, actor: str) -> User:
    """A new password also signs the user out everywhere."""
    _check_password(password)
    user = _require(session, name)
    user.password_hash = _hasher.hash(password)
    staff_sessions.end_all(session, user.id)
    audit.record(
        session, actor=actor, action="user.reset_password", entity_type="user", entity_id=user.id
    )
    return user


def authenticate(session: Session, name: str, password: str) -> User | None:
    """The user if name and password are right and the account is enabled; else None, no reason."""
    user = get_user(session, name)
    try:
        _hasher.verify(user.password_hash if user else _DUMMY_HASH, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        log.info("sign-in refused name=%r", name)
        return None
    if user is None or user.disabled:
        log.info("sign-in refused name=%r", name)
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    user.last_login_at = utcnow()
    log.info("sign-in name=%r role=%s", name, user.role)
    return user
