"""The durable outbox of alarm actions: alarm_action_outbox.

Revision ID: 005
Revises: 004
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = '005'
down_revision = '004'
branch_labels = None
depends_on = None

BigID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table(
        'alarm_action_outbox',
        sa.Column('id', BigID, primary_key=True, autoincrement=True),
        sa.Column('engine', sa.String(255), nullable=False),
        sa.Column('alarm_id', sa.String(36), nullable=False),
        sa.Column('project_id', sa.String(64), nullable=False),
        sa.Column('created_at', sa.BigInteger, nullable=False),
        sa.Column('payload', sa.Text, nullable=False),
        mysql_charset='utf8mb4', mysql_engine='InnoDB')
    op.create_index('ix_alarm_action_outbox_engine_id', 'alarm_action_outbox',
                    ['engine', 'id'])
