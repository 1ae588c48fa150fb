"""Shared output helpers: JSON on stdout for machines, readable lines for people."""

from __future__ import annotations

import json
import sys
from datetime import date, datetime

import click


def _default(value: object) -> object:
    if isinstance(value, date | datetime):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def emit_json(obj: object) -> None:
    click.echo(json.dumps(obj, ensure_ascii=False, indent=2, default=_default))


def fail(message: str, code: int = 1) -> None:
    """Stop with a message on stderr and a non-zero exit, the way cron and scripts expect."""
    click.echo(f"错误 / error: {message}", err=True)
    sys.exit(code)
