"""All models, imported here so Base.metadata knows every table (Alembic and create_all rely on it)."""

from .audit import AuditEntry
from .base import Base, utcnow
from .documents import KINDS, Document, DocumentRevision, SourceFile
from .intake import UPLOAD_STATES, UploadBatch
from .ops import AppState, IndexBacklog
from .qa import (
    QA_STATUS_LABELS,
    QA_STATUSES,
    QABasis,
    QAEntry,
    QAEvent,
    QATopic,
    QAVersion,
    QueryLog,
)
from .users import ROLES, SignInFailure, StaffSession, User
from .validity import STATUS_LABELS, STATUSES, CleanupBatch, StatusChange, StatusProposal

__all__ = [
    "Base",
    "utcnow",
    "KINDS",
    "Document",
    "DocumentRevision",
    "SourceFile",
    "UPLOAD_STATES",
    "UploadBatch",
    "AppState",
    "IndexBacklog",
    "AuditEntry",
    "ROLES",
    "User",
    "StaffSession",
    "SignInFailure",
    "QA_STATUS_LABELS",
    "QA_STATUSES",
    "QABasis",
    "QAEntry",
    "QAEvent",
    "QATopic",
    "QAVersion",
    "QueryLog",
    "STATUS_LABELS",
    "STATUSES",
    "CleanupBatch",
    "StatusChange",
    "StatusProposal",
]
