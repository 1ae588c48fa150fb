"""All models, imported here so Base.metadata knows every table (Alembic and create_all rely on it)."""

from .audit import AuditEntry
from .base import Base, utcnow
from .documents import KINDS, Document, DocumentRevision, SourceFile
from .ops import AppState
from .users import ROLES, User

__all__ = [
    "Base",
    "utcnow",
    "KINDS",
    "Document",
    "DocumentRevision",
    "SourceFile",
    "AppState",
    "AuditEntry",
    "ROLES",
    "User",
]
