"""An index in the order of the public listings (newest filed first, undated last)

Revision ID: 0008_filed_date_index
Revises: 0007_interprets_partial
"""

import sqlalchemy as sa
from alembic import op

revision = "0008_filed_date_index"
down_revision = "0007_interprets_partial"
branch_labels = None
depends_on = None


def upgrade() -> None:
    filed = "coalesce(published_date, signed_date, effective_date, '0001-01-01')"
    op.create_index(
        "ix_documents_filed", "documents", [sa.text(f"{filed} DESC"), sa.text("id DESC")]
    )


def downgrade() -> None:
    op.drop_index("ix_documents_filed", table_name="documents")
