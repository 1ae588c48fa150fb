"""Strict readers for what arrives in a URL: ids in paths, whole numbers and dates in the query
string, the `next` a redirect goes back to, and a file name sent in a header.

Every route reads its input through these, so odd input (non-ASCII digits, ids past 2^63, year
9999, control characters) ends as a 400 or 404 that says what was expected, never as a 500.
"""

from __future__ import annotations

import unicodedata
from datetime import date
from urllib.parse import urlsplit, urlunsplit

from flask import Flask, abort, request, url_for
from werkzeug.routing import BaseConverter, ValidationError

from library.inputs import FIRST_DAY, LAST_DAY, MAX_ID, parse_day, parse_id, parse_whole


class IdConverter(BaseConverter):
    """`<id:name>`: a database id, 1 to 2^63-1 in ASCII digits; anything else does not match (404)."""

    regex = r"[0-9]{1,19}"

    def to_python(self, value: str) -> int:
        parsed = parse_id(value)
        if parsed is None:
            raise ValidationError()
        return parsed

    def to_url(self, value: int) -> str:
        return str(int(value))


def register_converters(app: Flask) -> None:
    """Call from the factory before any blueprint is registered (their rules name `id`)."""
    app.url_map.converters["id"] = IdConverter


def query_int(name: str, default: int, low: int = 1, high: int = MAX_ID, what: str = "") -> int:
    """The query argument `name` as a whole number in [low, high], `default` when absent or empty;
    anything else is a 400 saying what was expected."""
    raw = (request.args.get(name) or "").strip()
    if not raw:
        return default
    value = parse_whole(raw, low, high)
    if value is None:
        abort(
            400,
            description=f"{what or name}应为 {low} 到 {high} 之间的整数，收到的是“{raw[:20]}”。",
        )
    return value


def query_optional_id(name: str, what: str = "") -> int | None:
    """An optional id in the query string: None when absent, a 400 when it is not an id."""
    raw = (request.args.get(name) or "").strip()
    if not raw:
        return None
    value = parse_id(raw)
    if value is None:
        abort(400, description=f"{what or name}应为正整数编号，收到的是“{raw[:20]}”。")
    return value


def query_day(name: str) -> date | None:
    """The query argument `name` as a date (YYYY-MM-DD), None when absent; else a 400."""
    raw = (request.args.get(name) or "").strip()
    if not raw:
        return None
    day = parse_day(raw)
    if day is None:
        abort(
            400,
            description=f"日期“{raw[:20]}”格式不对，应为 YYYY-MM-DD，"
            f"在 {FIRST_DAY.isoformat()} 到 {LAST_DAY.isoformat()} 之间。",
        )
    return day


def _unsafe_char(ch: str) -> bool:
    """Control, format and separator characters (tab, newline, U+3000 …) and the backslash:
    browsers drop or reinterpret them, which is how `/\\t/evil.example/` becomes `//evil.example/`."""
    return ch == "\\" or ch.isspace() or unicodedata.category(ch)[0] in "CZ"


def safe_next(target: str | None) -> str:
    """`target` if it is a path on this site, rebuilt so that it can never start with `//`;
    the home page otherwise. Used for every redirect whose target comes from the request."""
    home = url_for("public.index")
    if not target or any(_unsafe_char(ch) for ch in target):
        return home
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not parts.path.startswith("/"):
        return home
    return urlunsplit(("", "", "/" + parts.path.lstrip("/"), parts.query, parts.fragment))


def header_safe_filename(name: str, fallback: str) -> str:
    """A file name fit for Content-Disposition: without control characters (CR/LF would end the
    header), path separators or quotes; `fallback` if nothing is left."""
    kept = "".join(
        ch for ch in name if unicodedata.category(ch)[0] != "C" and ch not in '"\\/'
    ).strip()
    return kept or fallback
