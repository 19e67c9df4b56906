"""The ingestion buffer of SQLite: datapoint_buffer.

An unindexed copy of the datapoints columns that SQLite ingestion commits
to; its rows move into datapoints in large sorted batches. Created on
every backend so that the schema is one; only SQLite uses it.

Revision ID: 004
Revises: 003
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

revision = '004'
down_revision = '003'
branch_labels = None
depends_on = None

BigID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table(
        'datapoint_buffer',
        sa.Column('seq', BigID, primary_key=True, autoincrement=True),
        sa.Column('metric_id', BigID, nullable=False),
        sa.Column('timestamp', sa.BigInteger, nullable=False),
        sa.Column('unit', sa.String(32)),
        sa.Column('storage_resolution', sa.Integer, nullable=False),
        sa.Column('sample_count', sa.Double, nullable=False),
        sa.Column('sum', sa.Double, nullable=False),
        sa.Column('minimum', sa.Double, nullable=False),
        sa.Column('maximum', sa.Double, nullable=False),
        sa.Column('has_raw', sa.Boolean, nullable=False),
        sa.Column('raw_values', sa.Text),
        mysql_charset='utf8mb4', mysql_engine='InnoDB')
