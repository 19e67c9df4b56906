"""Credential scopes: credentials.scope (JSON) and credentials.stack_id.

A credential may be confined to some operations (PutMetricData only, say)
and its stack operations to one stack; stack_id is indexed so that a
stack's deletion deletes its credentials. Existing credentials keep an
unrestricted scope (NULL).

Revision ID: 010
Revises: 005
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = '010'
down_revision = '005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('credentials') as batch:
        batch.add_column(sa.Column('scope', sa.Text(), nullable=True))
        batch.add_column(sa.Column('stack_id', sa.String(64), nullable=True))
        batch.create_index('ix_credentials_stack_id', ['stack_id'])
