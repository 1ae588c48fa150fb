"""index backlog: search records changed in the database and not yet refreshed in the index

Revision ID: 0002_index_backlog
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002_index_backlog"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "index_backlog",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("record", sa.String(length=40), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_index_backlog")),
    )
    with op.batch_alter_table("index_backlog", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_index_backlog_record"), ["record"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("index_backlog", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_index_backlog_record"))
    op.drop_table("index_backlog")
