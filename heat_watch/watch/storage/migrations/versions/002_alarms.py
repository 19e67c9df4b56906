"""Alarms and their history.

Revision ID: 002
Revises: 001
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = '002'
down_revision = '001'
branch_labels = None
depends_on = None

BigID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
TABLE_ARGS = {'mysql_charset': 'utf8mb4', 'mysql_engine': 'InnoDB'}


def upgrade() -> None:
    op.create_table(
        'alarms',
        sa.Column('id', sa.String(36), primary_key=True),
        sa.Column('project_id', sa.String(64), nullable=False),
        sa.Column('name', sa.String(255), nullable=False),
        sa.Column('alarm_type', sa.String(16), nullable=False),
        sa.Column('definition', sa.Text, nullable=False),
        sa.Column('metric_key', sa.String(64)),
        sa.Column('actions_enabled', sa.Boolean, nullable=False),
        sa.Column('state', sa.String(32), nullable=False),
        sa.Column('state_reason', sa.Text, nullable=False),
        sa.Column('state_reason_data', sa.Text),
        sa.Column('state_updated_at', sa.BigInteger, nullable=False),
        sa.Column('state_transitioned_at', sa.BigInteger, nullable=False),
        sa.Column('configuration_updated_at', sa.BigInteger, nullable=False),
        sa.Column('actions_run_at', sa.BigInteger),
        sa.Column('version', sa.Integer, nullable=False),
        **TABLE_ARGS)
    op.create_index('ix_alarms_project_name', 'alarms', ['project_id', 'name'], unique=True)
    op.create_index('ix_alarms_metric_key', 'alarms', ['metric_key'])
    op.create_table(
        'alarm_history',
        sa.Column('id', BigID, primary_key=True, autoincrement=True),
        sa.Column('alarm_id', sa.String(36), nullable=False),
        sa.Column('project_id', sa.String(64), nullable=False),
        sa.Column('alarm_name', sa.String(255), nullable=False),
        sa.Column('alarm_type', sa.String(16), nullable=False),
        sa.Column('timestamp', sa.BigInteger, nullable=False),
        sa.Column('item_type', sa.String(32), nullable=False),
        sa.Column('summary', sa.String(255), nullable=False),
        sa.Column('data', sa.Text, nullable=False),
        **TABLE_ARGS)
    op.create_index('ix_alarm_history_project_timestamp', 'alarm_history',
                    ['project_id', 'timestamp'])
    op.create_index('ix_alarm_history_project_name', 'alarm_history',
                    ['project_id', 'alarm_name', 'timestamp'])
    op.create_index('ix_alarm_history_timestamp', 'alarm_history', ['timestamp'])
