"""Engines, stacks, resources, events, resource signals, group members.

Revision ID: 001
Revises:
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = '001'
down_revision = None
branch_labels = None
depends_on = None

BigID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
TABLE_ARGS = {'mysql_charset': 'utf8mb4', 'mysql_engine': 'InnoDB'}


def _state_columns() -> list[sa.Column]:
    return [sa.Column('action', sa.String(16), nullable=False),
            sa.Column('status', sa.String(16), nullable=False),
            sa.Column('status_reason', sa.Text, nullable=False)]


def upgrade() -> None:
    op.create_table(
        'engines',
        sa.Column('engine_id', sa.String(64), primary_key=True),
        sa.Column('host', sa.String(255), nullable=False),
        sa.Column('started_at', sa.BigInteger, nullable=False),
        sa.Column('heartbeat_at', sa.BigInteger, nullable=False),
        **TABLE_ARGS)
    op.create_table(
        'stacks',
        sa.Column('id', sa.String(36), primary_key=True),
        sa.Column('name', sa.String(255), nullable=False),
        sa.Column('name_key', sa.String(255)),
        sa.Column('project_id', sa.String(64), nullable=False),
        sa.Column('user_id', sa.String(64)),
        sa.Column('owner_id', sa.String(36)),
        sa.Column('nested_depth', sa.Integer, nullable=False),
        sa.Column('template', sa.Text, nullable=False),
        sa.Column('environment', sa.Text, nullable=False),
        sa.Column('files', sa.Text, nullable=False),
        sa.Column('parameters', sa.Text, nullable=False),
        *_state_columns(),
        sa.Column('disable_rollback', sa.Boolean, nullable=False),
        sa.Column('timeout_mins', sa.Integer),
        sa.Column('engine_id', sa.String(64)),
        sa.Column('created_at', sa.BigInteger, nullable=False),
        sa.Column('updated_at', sa.BigInteger),
        sa.Column('deleted_at', sa.BigInteger),
        sa.UniqueConstraint('project_id', 'name_key', name='uq_stacks_project_name'),
        **TABLE_ARGS)
    op.create_index('ix_stacks_project_created', 'stacks', ['project_id', 'created_at'])
    op.create_index('ix_stacks_owner_id', 'stacks', ['owner_id'])
    op.create_index('ix_stacks_engine_id', 'stacks', ['engine_id'])
    op.create_table(
        'resources',
        sa.Column('id', BigID, primary_key=True, autoincrement=True),
        sa.Column('stack_id', sa.String(36), nullable=False),
        sa.Column('name', sa.String(255), nullable=False),
        sa.Column('type', sa.String(255), nullable=False),
        sa.Column('physical_id', sa.String(255)),
        *_state_columns(),
        sa.Column('properties', sa.Text, nullable=False),
        sa.Column('data', sa.Text, nullable=False),
        sa.Column('rsrc_metadata', sa.Text, nullable=False),
        sa.Column('requires', sa.Text, nullable=False),
        sa.Column('created_at', sa.BigInteger, nullable=False),
        sa.Column('updated_at', sa.BigInteger),
        sa.UniqueConstraint('stack_id', 'name', name='uq_resources_stack_name'),
        **TABLE_ARGS)
    op.create_index('ix_resources_physical_id', 'resources', ['physical_id'])
    op.create_table(
        'events',
        sa.Column('id', BigID, primary_key=True, autoincrement=True),
        sa.Column('uuid', sa.String(36), nullable=False, unique=True),
        sa.Column('stack_id', sa.String(36), nullable=False),
        sa.Column('resource_name', sa.String(255), nullable=False),
        sa.Column('resource_type', sa.String(255), nullable=False),
        sa.Column('physical_id', sa.String(255)),
        sa.Column('action', sa.String(16), nullable=False),
        sa.Column('status', sa.String(16), nullable=False),
        sa.Column('reason', sa.Text, nullable=False),
        sa.Column('properties', sa.Text),
        sa.Column('created_at', sa.BigInteger, nullable=False),
        **TABLE_ARGS)
    op.create_index('ix_events_stack_id', 'events', ['stack_id', 'id'])
    op.create_table(
        'resource_signals',
        sa.Column('id', BigID, primary_key=True, autoincrement=True),
        sa.Column('stack_id', sa.String(36), nullable=False),
        sa.Column('resource_name', sa.String(255), nullable=False),
        sa.Column('data', sa.Text, nullable=False),
        sa.Column('created_at', sa.BigInteger, nullable=False),
        sa.Column('handled_at', sa.BigInteger),
        **TABLE_ARGS)
    op.create_index('ix_resource_signals_stack_resource', 'resource_signals',
                    ['stack_id', 'resource_name'])
    op.create_table(
        'group_members',
        sa.Column('id', BigID, primary_key=True, autoincrement=True),
        sa.Column('stack_id', sa.String(36), nullable=False),
        sa.Column('group_name', sa.String(255), nullable=False),
        sa.Column('member_name', sa.String(255), nullable=False),
        sa.Column('physical_id', sa.String(255)),
        sa.Column('created_at', sa.BigInteger, nullable=False),
        sa.UniqueConstraint('stack_id', 'group_name', 'member_name',
                            name='uq_group_members_member'),
        **TABLE_ARGS)
