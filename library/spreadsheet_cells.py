"""Cells the product writes into a spreadsheet or CSV file are text, never a formula.

Excel, WPS and LibreOffice take a cell that starts with =, +, -, @, a tab or a carriage return as a
formula (CSV/formula injection, OWASP): a question typed into the public Q&A base could run in the
hotline's spreadsheet. Every export passes its cells through `neutralise`, which prefixes such text
with a single quote as OWASP advises; openpyxl then stores it as a string, never as a formula.
Reading a sheet back (`restore`) drops that quote again, so an export imports back unchanged.
"""

from __future__ import annotations

from collections.abc import Iterable

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: object) -> object:
    """`value`, with a leading single quote when it is text a spreadsheet would run."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def neutralise_row(values: Iterable[object]) -> list[object]:
    return [neutralise(v) for v in values]


def restore(text: str) -> str:
    """A cell as written before `neutralise` (the quote it added removed)."""
    if text.startswith("'") and text[1:].startswith(FORMULA_START):
        return text[1:]
    return text
