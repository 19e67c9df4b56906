"""JSON documents as LONGTEXT on MySQL/MariaDB: TEXT stops at 64 KiB, and a
template of a few hundred resources (or a resource's properties) passes it;
the insert failed with DataError 1406. Nothing changes on PostgreSQL and
SQLite, whose TEXT has no such limit.

Revision ID: 002
Revises: 001
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = '002'
down_revision = '001'
branch_labels = None
depends_on = None

# table -> (column, nullable)
DOCUMENTS = {
    'stacks': [('template', False), ('environment', False), ('files', False),
               ('parameters', False)],
    'resources': [('properties', False), ('data', False), ('rsrc_metadata', False),
                  ('requires', False)],
    'events': [('properties', True)],
    'resource_signals': [('data', False)],
}


def _alter(new_type, old_type) -> None:
    if op.get_bind().dialect.name not in ('mysql', 'mariadb'):
        return
    for table, columns in DOCUMENTS.items():
        for column, nullable in columns:
            op.alter_column(table, column, type_=new_type, existing_type=old_type,
                            existing_nullable=nullable)


def upgrade() -> None:
    _alter(mysql.LONGTEXT(), sa.Text())


def downgrade() -> None:
    _alter(sa.Text(), mysql.LONGTEXT())
