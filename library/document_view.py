"""One document as a reader sees it: the object of the document page, `/api/documents/<id>`
and the CLI, and the stored original to download. Built here once so the three agree.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

from indexer.records import CURRENT_STATUSES

from .core import Library
from .corrections import corrected_fields, correction_history
from .documents import document_dict
from .ingest import original_path, searchable_path
from .models import Document
from .related import doc_link, related_links
from .search_params import KIND_LABELS
from .status_changes import public_history


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


def original_file(lib: Library, doc: Document) -> Path | None:
    """The stored untouched original of a document, or None when ingest kept none."""
    if not doc.original_sha256:
        return None
    path = original_path(lib, doc.original_sha256)
    return path if path.is_file() else None


def original_download(lib: Library, doc_id: int) -> tuple[Path, str] | None:
    """The stored original of a document and the name it was ingested under (its folder
    dropped), or None when there is no such document or ingest kept no original."""
    return _download(lib, doc_id, original_file)


def searchable_file(lib: Library, doc: Document) -> Path | None:
    """The searchable PDF kept beside a scan's original (the scan with its OCR text laid over
    it), or None: not a scan, or `searchable_pdf = false` when it was read."""
    if not doc.ocr or not doc.original_sha256:
        return None
    path = searchable_path(lib.settings.originals_dir, doc.original_sha256)
    return path if path.is_file() else None


def searchable_download(lib: Library, doc_id: int) -> tuple[Path, str] | None:
    """The searchable PDF of a document and a name to save it under (the original's stem plus
    `.searchable.pdf`), or None when there is none."""
    found = _download(lib, doc_id, searchable_file)
    if found is None:
        return None
    path, name = found
    return path, f"{Path(name).stem or 'document'}.searchable.pdf"


def _download(
    lib: Library, doc_id: int, file_of: Callable[[Library, Document], Path | None]
) -> tuple[Path, str] | None:
    """A document's stored file (`file_of`) and the name it was ingested under, its folder
    dropped; None without the document or the file."""
    with lib.db.session() as session:
        doc = session.get(Document, doc_id)
        path = file_of(lib, doc) if doc else None
        if doc is None or path is None:
            return None
        return path, (doc.source_file or "").replace("\\", "/").rsplit("/", 1)[-1]


def document_view(lib: Library, doc_id: int) -> dict | None:
    """The full document object for the document page, `/api/documents/<id>` and the CLI.

    It is `docs show --json` (library.documents.document_dict, with the text) plus what a reader
    needs around it: links to the explained document, its interpretations and Q&A, the status
    history, and the download address of the original.
    """
    with lib.db.session() as session:
        doc = session.get(Document, doc_id)
        if doc is None:
            return None
        related = related_links(session, {doc.id}, set())[f"doc:{doc.id}"]
        superseded = session.get(Document, doc.superseded_by_id) if doc.superseded_by_id else None
        return document_dict(doc, with_text=True) | {
            "ref": f"doc:{doc.id}",
            "kind_label": KIND_LABELS.get(doc.kind, doc.kind),
            "status_note": doc.status_note,
            "is_current": doc.status in CURRENT_STATUSES,
            "superseded_by_document": doc_link(superseded) if superseded else None,
            "interprets_document": related["interprets"],
            "interpretations": related["interpretations"],
            "qa": related["qa"],
            "status_history": public_history(session, doc.id),
            "has_original": original_file(lib, doc) is not None,
            "has_searchable_pdf": searchable_file(lib, doc) is not None,
            # What readers may know of hand corrections: which fields, when, why; never who.
            "corrected_fields": [
                {k: f.get(k) for k in ("field", "label", "at", "reason")}
                for f in corrected_fields(doc)
            ],
            "correction_history": [
                {k: h[k] for k in ("at", "action", "fields", "before", "after", "reason")}
                for h in correction_history(session, doc.id)
                if h["fields"]  # a confirm-as-checked changes no field
            ],
        }
