"""The engine's own model: typed alarm definitions, a narrow state table,
protocol-neutral alarm types, and the durable outbox of alarm actions.

* ``alarms`` kept each definition as the JSON of its PutMetricAlarm /
  PutCompositeAlarm input, parsed again at every evaluation, beside the
  changing state; now the definition is in typed columns and the state
  (state, reason, reason data, timestamps, last actions, version) in
  ``alarm_states``, the one row a sweep rewrites.
* Alarm types are the engine's: ``MetricAlarm`` -> ``threshold``,
  ``CompositeAlarm`` -> ``composite`` (alarms and alarm_history).
* ``alarm_action_outbox``: actions recorded with their transition, deleted
  once published.

Every row is converted; nothing is dropped before its copy is written.

Revision ID: 005
Revises: 004
Create Date: 2026-12-05
"""

import json

import sqlalchemy as sa
from alembic import op

revision = '005'
down_revision = '004'
branch_labels = None
depends_on = None

BigID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
TABLE_ARGS = {'mysql_charset': 'utf8mb4', 'mysql_engine': 'InnoDB'}
TYPES = {'MetricAlarm': 'threshold', 'CompositeAlarm': 'composite'}
ACTION_KEYS = {'OK': 'OKActions', 'ALARM': 'AlarmActions',
               'INSUFFICIENT_DATA': 'InsufficientDataActions'}
BATCH = 1000


def _create_tables() -> None:
    op.create_table(
        'alarms',
        sa.Column('id', sa.String(36), primary_key=True),
        sa.Column('project_id', sa.String(64), nullable=False),
        sa.Column('user_id', sa.String(64)),
        sa.Column('name', sa.String(255), nullable=False),
        sa.Column('alarm_type', sa.String(16), nullable=False),
        sa.Column('description', sa.Text),
        sa.Column('metric_key', sa.String(64)),
        sa.Column('namespace', sa.String(255)),
        sa.Column('metric_name', sa.String(255)),
        sa.Column('dimensions', sa.Text),
        sa.Column('unit', sa.String(32)),
        sa.Column('statistic', sa.String(16)),
        sa.Column('percentile', sa.Double),
        sa.Column('period', sa.Integer),
        sa.Column('evaluation_periods', sa.Integer),
        sa.Column('datapoints_to_alarm', sa.Integer),
        sa.Column('comparison', sa.String(40)),
        sa.Column('threshold', sa.Double),
        sa.Column('missing_data', sa.String(16)),
        sa.Column('low_sample_count', sa.String(16)),
        sa.Column('rule', sa.Text),
        sa.Column('actions', sa.Text, nullable=False),
        sa.Column('actions_enabled', sa.Boolean, nullable=False),
        sa.Column('repeat_actions', sa.Boolean, nullable=False),
        sa.Column('severity', sa.String(16), nullable=False),
        sa.Column('tags', sa.Text),
        sa.Column('created_at', sa.BigInteger, nullable=False),
        sa.Column('configuration_updated_at', sa.BigInteger, nullable=False),
        **TABLE_ARGS)
    op.create_index('ix_alarms_project_name', 'alarms', ['project_id', 'name'], unique=True)
    op.create_index('ix_alarms_metric_key', 'alarms', ['metric_key'])
    op.create_table(
        'alarm_states',
        sa.Column('alarm_id', sa.String(36), primary_key=True),
        sa.Column('state', sa.String(32), nullable=False),
        sa.Column('state_reason', sa.Text, nullable=False),
        sa.Column('state_reason_data', sa.Text),
        sa.Column('state_updated_at', sa.BigInteger, nullable=False),
        sa.Column('state_transitioned_at', sa.BigInteger, nullable=False),
        sa.Column('actions_run_at', sa.BigInteger),
        sa.Column('version', sa.Integer, nullable=False),
        **TABLE_ARGS)
    op.create_index('ix_alarm_states_state', 'alarm_states', ['state'])
    op.create_table(
        'alarm_action_outbox',
        sa.Column('id', BigID, primary_key=True, autoincrement=True),
        sa.Column('engine', sa.String(255), nullable=False),
        sa.Column('alarm_id', sa.String(36), nullable=False),
        sa.Column('project_id', sa.String(64), nullable=False),
        sa.Column('created_at', sa.BigInteger, nullable=False),
        sa.Column('payload', sa.Text, nullable=False),
        **TABLE_ARGS)
    op.create_index('ix_alarm_action_outbox_engine_id', 'alarm_action_outbox',
                    ['engine', 'id'])


def _percentile(extended: str | None) -> float | None:
    return float(extended[1:]) if extended else None


def _dimensions(stored: list | None) -> str:
    return json.dumps(sorted([str(d['Name']), str(d['Value'])] for d in stored or []))


def definition_row(row) -> dict:
    """The typed columns of one alarm of revision 004."""
    stored = json.loads(row.definition)
    values = {
        'id': row.id, 'project_id': row.project_id, 'user_id': None, 'name': row.name,
        'alarm_type': TYPES[row.alarm_type], 'description': stored.get('AlarmDescription'),
        'metric_key': row.metric_key, 'namespace': None, 'metric_name': None,
        'dimensions': None, 'unit': None, 'statistic': None, 'percentile': None,
        'period': None, 'evaluation_periods': None, 'datapoints_to_alarm': None,
        'comparison': None, 'threshold': None, 'missing_data': None,
        'low_sample_count': None, 'rule': stored.get('AlarmRule'),
        'actions': json.dumps({state: list(stored.get(key) or [])
                               for state, key in ACTION_KEYS.items()}),
        'actions_enabled': bool(row.actions_enabled),
        'repeat_actions': bool(stored.get('RepeatActions')),
        'severity': stored.get('Severity') or 'low',
        'tags': json.dumps(stored['Tags']) if stored.get('Tags') else None,
        # 004 kept no creation time: the oldest one known.
        'created_at': row.created_at or row.configuration_updated_at,
        'configuration_updated_at': row.configuration_updated_at}
    if values['alarm_type'] == 'threshold':
        values.update(
            namespace=stored['Namespace'], metric_name=stored['MetricName'],
            dimensions=_dimensions(stored.get('Dimensions')), unit=stored.get('Unit'),
            statistic=stored.get('Statistic'),
            percentile=_percentile(stored.get('ExtendedStatistic')),
            period=stored['Period'], evaluation_periods=stored['EvaluationPeriods'],
            datapoints_to_alarm=stored.get('DatapointsToAlarm'),
            comparison=stored['ComparisonOperator'], threshold=float(stored['Threshold']),
            missing_data=stored.get('TreatMissingData') or 'missing',
            low_sample_count=stored.get('EvaluateLowSampleCountPercentile'))
    return values


def state_row(row) -> dict:
    """The state of one alarm of revision 004."""
    return {'alarm_id': row.id, 'state': row.state, 'state_reason': row.state_reason,
            'state_reason_data': row.state_reason_data,
            'state_updated_at': row.state_updated_at,
            'state_transitioned_at': row.state_transitioned_at,
            'actions_run_at': row.actions_run_at, 'version': row.version}


def upgrade() -> None:
    op.drop_index('ix_alarms_project_name', table_name='alarms')
    op.drop_index('ix_alarms_metric_key', table_name='alarms')
    op.rename_table('alarms', 'alarms_004')
    _create_tables()
    conn = op.get_bind()
    old = sa.table('alarms_004', *(sa.column(c) for c in (
        'id', 'project_id', 'name', 'alarm_type', 'definition', 'metric_key',
        'actions_enabled', 'state', 'state_reason', 'state_reason_data', 'state_updated_at',
        'state_transitioned_at', 'configuration_updated_at', 'actions_run_at', 'version')))
    history = sa.table('alarm_history', sa.column('alarm_id'), sa.column('timestamp'),
                       sa.column('alarm_type'))
    created = sa.select(history.c.alarm_id, sa.func.min(history.c.timestamp).label('at')) \
        .group_by(history.c.alarm_id).subquery()
    query = (sa.select(old, created.c.at.label('created_at'))
             .outerjoin(created, created.c.alarm_id == old.c.id).order_by(old.c.id))
    after = ''
    while True:
        rows = list(conn.execute(query.where(old.c.id > after).limit(BATCH)))
        if not rows:
            break
        after = rows[-1].id
        definitions = [definition_row(r) for r in rows]
        states = [state_row(r) for r in rows]
        conn.execute(sa.table('alarms', *(sa.column(c) for c in definitions[0])).insert(),
                     definitions)
        conn.execute(sa.table('alarm_states', *(sa.column(c) for c in states[0])).insert(),
                     states)
    for stored, neutral in TYPES.items():
        conn.execute(history.update().where(history.c.alarm_type == stored)
                     .values(alarm_type=neutral))
    op.drop_table('alarms_004')
