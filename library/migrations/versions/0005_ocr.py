"""OCR: what OCR read of a scanned document (pages, confidence), null for other documents

Revision ID: 0005_ocr
Revises: 0004_sessions
"""

import sqlalchemy as sa
from alembic import op

revision = "0005_ocr"
down_revision = "0004_sessions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("documents") as batch:
        batch.add_column(sa.Column("ocr", sa.JSON(none_as_null=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("documents") as batch:
        batch.drop_column("ocr")
