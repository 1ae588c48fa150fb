"""The Chinese name of a status, for documents and Q&A entries alike: the one `status_label`.

An unknown status shows as its code, so a status added later is never shown blank; a missing
one (the first change of a document has no old status) as nothing.
"""

from __future__ import annotations

from .models import QA_STATUS_LABELS, STATUS_LABELS


def status_label(status: str | None, kind: str = "document") -> str:
    """The name of a document status, or of a Q&A entry's with kind="qa"."""
    labels = QA_STATUS_LABELS if kind == "qa" else STATUS_LABELS
    return labels.get(status or "", status or "")
