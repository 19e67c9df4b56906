"""Metrics, dimensions, datapoints and credentials.

Revision ID: 001
Revises:
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = '001'
down_revision = None
branch_labels = None
depends_on = None

BigID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
TABLE_ARGS = {'mysql_charset': 'utf8mb4', 'mysql_engine': 'InnoDB'}


def upgrade() -> None:
    op.create_table(
        'metrics',
        sa.Column('id', BigID, primary_key=True, autoincrement=True),
        sa.Column('metric_key', sa.String(64), nullable=False, unique=True),
        sa.Column('project_id', sa.String(64), nullable=False),
        sa.Column('namespace', sa.String(255), nullable=False),
        sa.Column('metric_name', sa.String(255), nullable=False),
        sa.Column('dimensions', sa.Text, nullable=False),
        sa.Column('created_at', sa.BigInteger, nullable=False),
        sa.Column('last_put_at', sa.BigInteger, nullable=False),
        **TABLE_ARGS)
    op.create_index('ix_metrics_project_namespace_name', 'metrics',
                    ['project_id', 'namespace', 'metric_name'])
    op.create_index('ix_metrics_last_put_at', 'metrics', ['last_put_at'])
    op.create_table(
        'metric_dimensions',
        sa.Column('metric_id', BigID, primary_key=True),
        sa.Column('name', sa.String(255), primary_key=True),
        sa.Column('project_id', sa.String(64), nullable=False),
        sa.Column('value', sa.String(1024), nullable=False),
        **TABLE_ARGS)
    op.create_index('ix_metric_dimensions_project_name', 'metric_dimensions',
                    ['project_id', 'name'])
    op.create_table(
        'datapoints',
        sa.Column('id', BigID, primary_key=True, autoincrement=True),
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
        **TABLE_ARGS)
    op.create_index('ix_datapoints_metric_timestamp', 'datapoints',
                    ['metric_id', 'timestamp'])
    op.create_index('ix_datapoints_timestamp', 'datapoints', ['timestamp'])
    op.create_table(
        'credentials',
        sa.Column('access_key', sa.String(64), primary_key=True),
        sa.Column('secret_encrypted', sa.Text, nullable=False),
        sa.Column('project_id', sa.String(64), nullable=False),
        sa.Column('user_id', sa.String(64)),
        sa.Column('description', sa.String(255)),
        sa.Column('created_at', sa.BigInteger, nullable=False),
        **TABLE_ARGS)
    op.create_index('ix_credentials_project_id', 'credentials', ['project_id'])
