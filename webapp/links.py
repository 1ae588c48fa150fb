"""The web addresses of what the library returns. The library names records by id and ref
("doc:12", "qa:5") and knows no URL; the pages, the API and `policylib search` add the addresses
here, with `url_for`, so a route's address is written once, in its blueprint."""

from __future__ import annotations

import re

from flask import url_for

_REF = re.compile(r"(doc|qa):(\d+)")


def document_url(doc_id: int) -> str:
    return url_for("public.document", raw_id=doc_id)


def qa_url(entry_id: int) -> str:
    return url_for("qa_api.qa_entry", entry_id=entry_id)


def with_urls(value: object) -> object:
    """`value` (a library result: dicts and lists) with a "url" beside every record ref in it,
    and a document's "has_original" and "has_searchable_pdf" turned into the addresses of its
    original and its searchable PDF (None without one)."""
    if isinstance(value, list):
        return [with_urls(v) for v in value]
    if not isinstance(value, dict):
        return value
    out = {k: with_urls(v) for k, v in value.items()}
    ref = _REF.fullmatch(str(value.get("ref", "")))
    if ref:
        kind, num = ref.group(1), int(ref.group(2))
        out["url"] = qa_url(num) if kind == "qa" else document_url(num)
    if "has_original" in out:
        has = out.pop("has_original")
        out["original_url"] = url_for("public.original", raw_id=value["id"]) if has else None
    if "has_searchable_pdf" in out:
        has = out.pop("has_searchable_pdf")
        url = url_for("public.searchable_pdf", raw_id=value["id"]) if has else None
        out["searchable_pdf_url"] = url
    return out
