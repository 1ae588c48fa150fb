"""Ingest lookups: an index on documents.issuer, and stored title keys (indexed) for the
replacement proposals, filled for the documents already stored

Revision ID: 0006_ingest_lookups
Revises: 0005_ocr
"""

import sqlalchemy as sa
from alembic import op

from library.models.documents import stored_title_keys

revision = "0006_ingest_lookups"
down_revision = "0005_ocr"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("documents") as batch:
        batch.add_column(sa.Column("title_key", sa.String(500), nullable=True))
        batch.add_column(sa.Column("title_key_short", sa.String(500), nullable=True))
        batch.create_index("ix_documents_issuer", ["issuer"])
        batch.create_index("ix_documents_title_key", ["title_key"])
        batch.create_index("ix_documents_title_key_short", ["title_key_short"])
    _fill_title_keys()


def _fill_title_keys() -> None:
    documents = sa.table(
        "documents",
        sa.column("id", sa.Integer),
        sa.column("title", sa.String),
        sa.column("issuer", sa.String),
        sa.column("title_key", sa.String),
        sa.column("title_key_short", sa.String),
    )
    conn = op.get_bind()
    rows = conn.execute(sa.select(documents.c.id, documents.c.title, documents.c.issuer)).all()
    for doc_id, title, issuer in rows:
        full, short = stored_title_keys(title, issuer)
        conn.execute(
            documents.update()
            .where(documents.c.id == doc_id)
            .values(title_key=full, title_key_short=short)
        )


def downgrade() -> None:
    with op.batch_alter_table("documents") as batch:
        batch.drop_index("ix_documents_title_key_short")
        batch.drop_index("ix_documents_title_key")
        batch.drop_index("ix_documents_issuer")
        batch.drop_column("title_key_short")
        batch.drop_column("title_key")
