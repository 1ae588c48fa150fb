"""The Whoosh schema and the mapping of an `IndexRecord` to one Whoosh document.

Text fields are analysed by `analyzer.WhooshTokenizer` (positions are character offsets in the
folded text). Facet and sort keys are columns (`sortable=True`), so facet counts and date sorting
never load stored documents, and ranking reads titles and dates from columns too.
"""

from __future__ import annotations

from whoosh import fields

from .analyzer import Analyzer, OffsetPositions
from .record_keys import STORED_BODY_CHARS, sort_date, title_key
from .records import IndexRecord

# Bump when fields change: an index built with another version is rebuilt from the records source.
SCHEMA_VERSION = 2
FACET_FIELDS = ("issuer", "year", "kind", "status", "level", "topic")
TEXT_FIELDS = ("title", "alt", "issuer_text", "body")


def build_schema(analyzer: Analyzer) -> fields.Schema:
    tok = analyzer.whoosh_tokenizer()

    def text(stored: bool) -> fields.TEXT:
        field = fields.TEXT(analyzer=tok, stored=stored, phrase=True)
        field.format = OffsetPositions(field_boost=field.format.field_boost)
        return field

    def facet() -> fields.ID:
        return fields.ID(stored=True, sortable=True)

    return fields.Schema(
        id=fields.ID(stored=True, unique=True),
        title=text(stored=True),
        alt=text(stored=False),
        issuer_text=text(stored=False),
        body=text(stored=False),
        body_head=fields.STORED(),
        title_key=fields.ID(stored=False, sortable=True),
        doc_number=fields.STORED(),
        doc_number_norm=fields.ID(stored=False),
        issuer=facet(),
        year=facet(),
        kind=facet(),
        status=facet(),
        level=facet(),
        topic=facet(),
        source_file=fields.ID(stored=True),
        signed_date=fields.STORED(),
        published_date=fields.STORED(),
        effective_date=fields.STORED(),
        sort_date=fields.NUMERIC(int, bits=32, stored=False, sortable=True, signed=False),
        related=fields.STORED(),
    )


def to_document(record: IndexRecord) -> dict:
    """The Whoosh document of a record; empty values are left out so facets do not count them."""
    when = sort_date(record)
    doc: dict = {
        "id": record.id,
        "kind": record.kind,
        "status": record.status,
        "title": record.title or "",
        "title_key": title_key(record.title or ""),
        "body": record.body or "",
        "body_head": (record.body or "")[:STORED_BODY_CHARS],
        "sort_date": int(when.strftime("%Y%m%d")) if when else 0,
        "related": list(record.related),
    }
    if record.extra_terms:
        doc["alt"] = "\n".join(record.extra_terms)
    if record.doc_number:
        doc["doc_number"] = record.doc_number
    if record.doc_number_norm:
        doc["doc_number_norm"] = record.doc_number_norm
    if record.issuer:
        doc["issuer"] = record.issuer
        doc["issuer_text"] = record.issuer
    if when:
        doc["year"] = str(when.year)
    for name in ("level", "topic", "source_file"):
        value = getattr(record, name)
        if value:
            doc[name] = value
    for name in ("signed_date", "published_date", "effective_date"):
        value = getattr(record, name)
        if value:
            doc[name] = value.isoformat()
    return doc
