"""documents.interprets_id indexed only where set (a partial index), so the planner's statistics
are not those of a column that is mostly NULL

Revision ID: 0007_interprets_partial
Revises: 0006_ingest_lookups
"""

import sqlalchemy as sa
from alembic import op

revision = "0007_interprets_partial"
down_revision = "0006_ingest_lookups"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_documents_interprets_id", table_name="documents")
    op.create_index(
        "ix_documents_interprets_id",
        "documents",
        ["interprets_id"],
        sqlite_where=sa.text("interprets_id IS NOT NULL"),
        postgresql_where=sa.text("interprets_id IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_documents_interprets_id", table_name="documents")
    op.create_index("ix_documents_interprets_id", "documents", ["interprets_id"])
