"""Drop the datapoints index on timestamp alone.

Every datapoint row paid for it on insert (about a third of SQLite's insert
cost), for the benefit of expiry only; expiry now walks each metric's
(metric_id, timestamp) range instead.

Revision ID: 003
Revises: 002
Create Date: 2026-11-23
"""

from alembic import op

revision = '003'
down_revision = '002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index('ix_datapoints_timestamp', table_name='datapoints')

