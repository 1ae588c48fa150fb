"""OCR: what OCR read of a scanned document (pages, confidence), null for other documents

Revision ID: 0002_ocr
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002_ocr"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("documents") as batch:
        batch.add_column(sa.Column("ocr", sa.JSON(none_as_null=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("documents") as batch:
        batch.drop_column("ocr")
