"""corrections: hand-corrected fields and check-queue state on documents; upload batches

Revision ID: 0003_corrections
Revises: 0002_index_backlog
"""

import sqlalchemy as sa
from alembic import op

revision = "0003_corrections"
down_revision = "0002_index_backlog"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.add_column(sa.Column("corrections", sa.JSON(none_as_null=True), nullable=True))
        batch_op.add_column(sa.Column("review", sa.JSON(none_as_null=True), nullable=True))
    op.create_table(
        "upload_batches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("processed", sa.Integer(), nullable=False),
        sa.Column("files", sa.JSON(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_upload_batches")),
    )
    with op.batch_alter_table("upload_batches", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_upload_batches_created_at"), ["created_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("upload_batches", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_upload_batches_created_at"))
    op.drop_table("upload_batches")
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.drop_column("review")
        batch_op.drop_column("corrections")
