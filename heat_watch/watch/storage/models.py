"""SQLAlchemy models of the watch database.

Shaped by the three hot paths: ingestion appends datapoint rows (one index
besides the key, on (metric_id, timestamp)); statistics and alarm evaluation
aggregate ranges of one or many metrics through that same index; a metric is
found by ``metric_key``, a digest of its full identity, so that a metric and
the alarms watching it are joined on one short indexed column.

Times are integers: epoch milliseconds. Every datapoint row is a statistic
set (sample_count, sum, minimum, maximum); raw values for exact percentiles
are implied when minimum == maximum (a single value, or a set of equal
values) and otherwise kept in ``raw_values`` as JSON [[value, count], ...].
"""

from sqlalchemy import BigInteger, Boolean, Double, Index, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# SQLite only auto-increments INTEGER PRIMARY KEY, not BIGINT.
BigID = BigInteger().with_variant(Integer(), 'sqlite')


class Base(DeclarativeBase):
    """Declarative base of the watch database."""


class Metric(Base):
    """One metric: project, namespace, name and exact set of dimensions."""

    __tablename__ = 'metrics'
    __table_args__ = (
        Index('ix_metrics_project_namespace_name', 'project_id', 'namespace', 'metric_name'),
        Index('ix_metrics_last_put_at', 'last_put_at'),
        {'mysql_charset': 'utf8mb4'},
    )

    id: Mapped[int] = mapped_column(BigID, primary_key=True, autoincrement=True)
    metric_key: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    project_id: Mapped[str] = mapped_column(String(64), nullable=False)
    namespace: Mapped[str] = mapped_column(String(255), nullable=False)
    metric_name: Mapped[str] = mapped_column(String(255), nullable=False)
    # Canonical JSON [[name, value], ...] sorted by name.
    dimensions: Mapped[str] = mapped_column(Text, nullable=False)
    created_at: Mapped[int] = mapped_column(BigInteger, nullable=False)
    last_put_at: Mapped[int] = mapped_column(BigInteger, nullable=False)


class MetricDimension(Base):
    """One dimension of a metric, for ListMetrics' dimension filters."""

    __tablename__ = 'metric_dimensions'
    __table_args__ = (
        Index('ix_metric_dimensions_project_name', 'project_id', 'name'),
        {'mysql_charset': 'utf8mb4'},
    )

    metric_id: Mapped[int] = mapped_column(BigID, primary_key=True)
    name: Mapped[str] = mapped_column(String(255), primary_key=True)
    project_id: Mapped[str] = mapped_column(String(64), nullable=False)
    value: Mapped[str] = mapped_column(String(1024), nullable=False)


class Datapoint(Base):
    """One pushed datum, stored as a statistic set."""

    __tablename__ = 'datapoints'
    __table_args__ = (
        Index('ix_datapoints_metric_timestamp', 'metric_id', 'timestamp'),
        {'mysql_charset': 'utf8mb4'},
    )

    id: Mapped[int] = mapped_column(BigID, primary_key=True, autoincrement=True)
    metric_id: Mapped[int] = mapped_column(BigID, nullable=False)
    timestamp: Mapped[int] = mapped_column(BigInteger, nullable=False)
    unit: Mapped[str | None] = mapped_column(String(32))
    storage_resolution: Mapped[int] = mapped_column(Integer, nullable=False, default=60)
    sample_count: Mapped[float] = mapped_column(Double, nullable=False)
    sum: Mapped[float] = mapped_column(Double, nullable=False)
    minimum: Mapped[float] = mapped_column(Double, nullable=False)
    maximum: Mapped[float] = mapped_column(Double, nullable=False)
    # False for a statistic set whose raw values are unknown (no percentiles).
    has_raw: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    raw_values: Mapped[str | None] = mapped_column(Text)


class DatapointBuffer(Base):
    """Datapoints committed by ingestion, not yet moved into ``datapoints``.

    SQLite only (see heat_watch.watch.storage.metrics): an unindexed table
    costs an ingestion commit a few appended pages instead of an index page
    per metric; the rows move into ``datapoints`` in large sorted batches,
    and reads take both tables.
    """

    __tablename__ = 'datapoint_buffer'
    __table_args__ = ({'mysql_charset': 'utf8mb4'},)

    seq: Mapped[int] = mapped_column(BigID, primary_key=True, autoincrement=True)
    metric_id: Mapped[int] = mapped_column(BigID, nullable=False)
    timestamp: Mapped[int] = mapped_column(BigInteger, nullable=False)
    unit: Mapped[str | None] = mapped_column(String(32))
    storage_resolution: Mapped[int] = mapped_column(Integer, nullable=False)
    sample_count: Mapped[float] = mapped_column(Double, nullable=False)
    sum: Mapped[float] = mapped_column(Double, nullable=False)
    minimum: Mapped[float] = mapped_column(Double, nullable=False)
    maximum: Mapped[float] = mapped_column(Double, nullable=False)
    has_raw: Mapped[bool] = mapped_column(Boolean, nullable=False)
    raw_values: Mapped[str | None] = mapped_column(Text)


class Credential(Base):
    """An EC2-style access key of the local credential store."""

    __tablename__ = 'credentials'
    __table_args__ = (
        Index('ix_credentials_project_id', 'project_id'),
        {'mysql_charset': 'utf8mb4'},
    )

    access_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    # Fernet token of the secret: the secret is never stored in clear.
    secret_encrypted: Mapped[str] = mapped_column(Text, nullable=False)
    project_id: Mapped[str] = mapped_column(String(64), nullable=False)
    user_id: Mapped[str | None] = mapped_column(String(64))
    description: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[int] = mapped_column(BigInteger, nullable=False)


class Alarm(Base):
    """A metric alarm or a composite alarm, with its current state."""

    __tablename__ = 'alarms'
    __table_args__ = (
        Index('ix_alarms_project_name', 'project_id', 'name', unique=True),
        Index('ix_alarms_metric_key', 'metric_key'),
        {'mysql_charset': 'utf8mb4'},
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    project_id: Mapped[str] = mapped_column(String(64), nullable=False)
    name: Mapped[str] = mapped_column(String(255), nullable=False)
    alarm_type: Mapped[str] = mapped_column(String(16), nullable=False)
    # Everything the user configured (the PutMetricAlarm/PutCompositeAlarm
    # fields), as JSON: read whole, never queried by field.
    definition: Mapped[str] = mapped_column(Text, nullable=False)
    # The metric watched (metric alarms), joined with metrics.metric_key.
    metric_key: Mapped[str | None] = mapped_column(String(64))
    actions_enabled: Mapped[bool] = mapped_column(Boolean, nullable=False)
    state: Mapped[str] = mapped_column(String(32), nullable=False)
    state_reason: Mapped[str] = mapped_column(Text, nullable=False)
    state_reason_data: Mapped[str | None] = mapped_column(Text)
    state_updated_at: Mapped[int] = mapped_column(BigInteger, nullable=False)
    state_transitioned_at: Mapped[int] = mapped_column(BigInteger, nullable=False)
    configuration_updated_at: Mapped[int] = mapped_column(BigInteger, nullable=False)
    # When the actions of the current state last ran (repeating alarms).
    actions_run_at: Mapped[int | None] = mapped_column(BigInteger)
    # Bumped on every write: concurrent engines update with compare-and-set.
    version: Mapped[int] = mapped_column(Integer, nullable=False)


class AlarmHistory(Base):
    """One history item: configuration change, state change or action."""

    __tablename__ = 'alarm_history'
    __table_args__ = (
        Index('ix_alarm_history_project_timestamp', 'project_id', 'timestamp'),
        Index('ix_alarm_history_project_name', 'project_id', 'alarm_name', 'timestamp'),
        Index('ix_alarm_history_timestamp', 'timestamp'),
        {'mysql_charset': 'utf8mb4'},
    )

    id: Mapped[int] = mapped_column(BigID, primary_key=True, autoincrement=True)
    alarm_id: Mapped[str] = mapped_column(String(36), nullable=False)
    project_id: Mapped[str] = mapped_column(String(64), nullable=False)
    alarm_name: Mapped[str] = mapped_column(String(255), nullable=False)
    alarm_type: Mapped[str] = mapped_column(String(16), nullable=False)
    timestamp: Mapped[int] = mapped_column(BigInteger, nullable=False)
    item_type: Mapped[str] = mapped_column(String(32), nullable=False)
    summary: Mapped[str] = mapped_column(String(255), nullable=False)
    data: Mapped[str] = mapped_column(Text, nullable=False)


class ActionOutbox(Base):
    """An alarm action recorded with its transition, not yet published.

    Written in the transaction of the transition (or repeat) that runs it,
    deleted once the notifier transport took it: a broker outage delays
    actions but neither blocks evaluation nor loses them. Rows are sent in
    ``id`` order, which per alarm is the order of its transitions (each is a
    compare-and-set on the alarm, so they commit one after the other).
    """

    __tablename__ = 'alarm_action_outbox'
    __table_args__ = (
        Index('ix_alarm_action_outbox_engine_id', 'engine', 'id'),
        {'mysql_charset': 'utf8mb4'},
    )

    id: Mapped[int] = mapped_column(BigID, primary_key=True, autoincrement=True)
    # The host of the engine that recorded it, and sends it (again after a
    # restart of that engine).
    engine: Mapped[str] = mapped_column(String(255), nullable=False)
    alarm_id: Mapped[str] = mapped_column(String(36), nullable=False)
    project_id: Mapped[str] = mapped_column(String(64), nullable=False)
    created_at: Mapped[int] = mapped_column(BigInteger, nullable=False)
    # The notification payload (heat_watch.common.alarms.action_payload), JSON.
    payload: Mapped[str] = mapped_column(Text, nullable=False)
