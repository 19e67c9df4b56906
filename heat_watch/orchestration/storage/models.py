"""SQLAlchemy models of the orchestration database.

Times are integers: epoch milliseconds. JSON documents (templates,
environments, properties, attributes) are stored as text.

A stack row is the unit of locking: ``engine_id`` names the orchestrator that
holds it (compare-and-set), and the ``engines`` table holds each
orchestrator's heartbeat, so that a lock held by an engine that stopped
beating can be taken over. A deleted stack keeps its row (status
DELETE_COMPLETE, ``deleted_at`` set) and its events; ``name_key`` is the name
while the stack lives and NULL afterwards, so that the unique index on
(project_id, name_key) lets a name be reused once its stack is gone.

Autoscaling's tables are ready here: ``resource_signals`` holds the signals a
resource receives (wait conditions, scaling-policy webhooks) until it handles
them, and ``group_members`` the members of a group resource (each a nested
stack or a resource of one), in the order they were added.
"""

from sqlalchemy import BigInteger, Boolean, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.dialects import mysql
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# SQLite only auto-increments INTEGER PRIMARY KEY, not BIGINT.
BigID = BigInteger().with_variant(Integer(), 'sqlite')
# A JSON document: MySQL's TEXT stops at 64 KiB, which a template of a few
# hundred resources passes (as Heat does, LONGTEXT there; migration 002).
Document = Text().with_variant(mysql.LONGTEXT(), 'mysql', 'mariadb')
TABLE_ARGS = {'mysql_charset': 'utf8mb4'}


class Base(DeclarativeBase):
    """Declarative base of the orchestration database."""


class Engine(Base):
    """A running orchestrator and its last heartbeat."""

    __tablename__ = 'engines'
    __table_args__ = (TABLE_ARGS,)

    engine_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    host: Mapped[str] = mapped_column(String(255), nullable=False)
    started_at: Mapped[int] = mapped_column(BigInteger, nullable=False)
    heartbeat_at: Mapped[int] = mapped_column(BigInteger, nullable=False)


class Stack(Base):
    """A stack: its template, environment, parameters, state and lock."""

    __tablename__ = 'stacks'
    __table_args__ = (
        UniqueConstraint('project_id', 'name_key', name='uq_stacks_project_name'),
        Index('ix_stacks_project_created', 'project_id', 'created_at'),
        Index('ix_stacks_owner_id', 'owner_id'),
        Index('ix_stacks_engine_id', 'engine_id'),
        TABLE_ARGS,
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(255), nullable=False)
    name_key: Mapped[str | None] = mapped_column(String(255))
    project_id: Mapped[str] = mapped_column(String(64), nullable=False)
    user_id: Mapped[str | None] = mapped_column(String(64))
    owner_id: Mapped[str | None] = mapped_column(String(36))
    nested_depth: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    template: Mapped[str] = mapped_column(Document, nullable=False)
    environment: Mapped[str] = mapped_column(Document, nullable=False)
    files: Mapped[str] = mapped_column(Document, nullable=False)
    # JSON {"values": {...}, "encrypted": [names]}: NoEcho values are Fernet tokens.
    parameters: Mapped[str] = mapped_column(Document, nullable=False)
    action: Mapped[str] = mapped_column(String(16), nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    status_reason: Mapped[str] = mapped_column(Text, nullable=False)
    disable_rollback: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    timeout_mins: Mapped[int | None] = mapped_column(Integer)
    engine_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[int] = mapped_column(BigInteger, nullable=False)
    updated_at: Mapped[int | None] = mapped_column(BigInteger)
    deleted_at: Mapped[int | None] = mapped_column(BigInteger)


class Resource(Base):
    """A resource of a stack and what its plugin keeps about it."""

    __tablename__ = 'resources'
    __table_args__ = (
        UniqueConstraint('stack_id', 'name', name='uq_resources_stack_name'),
        Index('ix_resources_physical_id', 'physical_id'),
        TABLE_ARGS,
    )

    id: Mapped[int] = mapped_column(BigID, primary_key=True, autoincrement=True)
    stack_id: Mapped[str] = mapped_column(String(36), nullable=False)
    name: Mapped[str] = mapped_column(String(255), nullable=False)
    type: Mapped[str] = mapped_column(String(255), nullable=False)
    physical_id: Mapped[str | None] = mapped_column(String(255))
    action: Mapped[str] = mapped_column(String(16), nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    status_reason: Mapped[str] = mapped_column(Text, nullable=False)
    properties: Mapped[str] = mapped_column(Document, nullable=False)  # resolved, JSON
    data: Mapped[str] = mapped_column(Document, nullable=False)  # the plugin's own, JSON
    rsrc_metadata: Mapped[str] = mapped_column(Document, nullable=False)  # JSON
    requires: Mapped[str] = mapped_column(Document, nullable=False)  # JSON list of names
    created_at: Mapped[int] = mapped_column(BigInteger, nullable=False)
    updated_at: Mapped[int | None] = mapped_column(BigInteger)


class Event(Base):
    """One state change of a stack or of one of its resources."""

    __tablename__ = 'events'
    __table_args__ = (
        Index('ix_events_stack_id', 'stack_id', 'id'),
        TABLE_ARGS,
    )

    id: Mapped[int] = mapped_column(BigID, primary_key=True, autoincrement=True)
    uuid: Mapped[str] = mapped_column(String(36), nullable=False, unique=True)
    stack_id: Mapped[str] = mapped_column(String(36), nullable=False)
    resource_name: Mapped[str] = mapped_column(String(255), nullable=False)
    resource_type: Mapped[str] = mapped_column(String(255), nullable=False)
    physical_id: Mapped[str | None] = mapped_column(String(255))
    action: Mapped[str] = mapped_column(String(16), nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    reason: Mapped[str] = mapped_column(Text, nullable=False)
    properties: Mapped[str | None] = mapped_column(Document)  # JSON snapshot
    created_at: Mapped[int] = mapped_column(BigInteger, nullable=False)


class ResourceSignal(Base):
    """A signal sent to a resource, kept until the resource handled it."""

    __tablename__ = 'resource_signals'
    __table_args__ = (
        Index('ix_resource_signals_stack_resource', 'stack_id', 'resource_name'),
        TABLE_ARGS,
    )

    id: Mapped[int] = mapped_column(BigID, primary_key=True, autoincrement=True)
    stack_id: Mapped[str] = mapped_column(String(36), nullable=False)
    resource_name: Mapped[str] = mapped_column(String(255), nullable=False)
    data: Mapped[str] = mapped_column(Document, nullable=False)  # JSON
    created_at: Mapped[int] = mapped_column(BigInteger, nullable=False)
    handled_at: Mapped[int | None] = mapped_column(BigInteger)


class GroupMember(Base):
    """A member of a group resource (autoscaling), oldest first."""

    __tablename__ = 'group_members'
    __table_args__ = (
        UniqueConstraint('stack_id', 'group_name', 'member_name',
                         name='uq_group_members_member'),
        TABLE_ARGS,
    )

    id: Mapped[int] = mapped_column(BigID, primary_key=True, autoincrement=True)
    stack_id: Mapped[str] = mapped_column(String(36), nullable=False)
    group_name: Mapped[str] = mapped_column(String(255), nullable=False)
    member_name: Mapped[str] = mapped_column(String(255), nullable=False)
    physical_id: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[int] = mapped_column(BigInteger, nullable=False)
