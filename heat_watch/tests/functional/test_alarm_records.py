"""The watch engine's id-based alarm methods (rpcapi 1.3) over real RPC:
what the REST API and the orchestrator will use, in the engine's records."""

import uuid

import pytest

from heat_watch.common import context, exceptions
from heat_watch.watch import model, rpcapi


@pytest.fixture(scope='module')
def engine(deployment):
    return rpcapi.WatchEngineClient(deployment.conf)


@pytest.fixture
def ctxt(tenant_a):
    return context.RequestContext(project_id=tenant_a.project_id)


@pytest.fixture
def other(tenant_b):
    return context.RequestContext(project_id=tenant_b.project_id)


def _threshold(name: str, namespace: str, **extra) -> model.AlarmDefinition:
    rule = model.ThresholdRule(
        metric=model.MetricSelector(namespace, 'cpu', (('host', 'web-1'),)), period=60,
        evaluation_periods=3, datapoints_to_alarm=2, comparison='GreaterThanThreshold',
        threshold=80.0, statistic='Average')
    return model.AlarmDefinition(**dict(dict(
        project_id='ignored', name=name, rule=rule, description='cpu too high',
        actions={'ALARM': ['https://hooks.example.com/up?Signature=x']},
        severity='moderate'), **extra))


def _name(label: str) -> str:
    return '%s-%s' % (label, uuid.uuid4().hex[:8])


def test_a_created_alarm_reads_back_by_id_field_for_field(engine, ctxt, namespace):
    created = engine.create_alarm(ctxt, _threshold(_name('cpu'), namespace))
    alarm = engine.get_alarm(ctxt, created.definition.id)
    assert alarm == created
    definition = alarm.definition
    assert definition.project_id == ctxt.project_id and definition.type == 'threshold'
    assert definition.rule == _threshold('x', namespace).rule
    assert definition.actions['ALARM'] == ['https://hooks.example.com/up?Signature=x']
    assert definition.actions['OK'] == [] and definition.severity == 'moderate'
    assert alarm.state.state == 'INSUFFICIENT_DATA'
    assert alarm.state.version >= 1 and alarm.state.updated_at > 0


def test_a_taken_name_is_a_conflict_and_a_bad_rule_is_refused(engine, ctxt, namespace):
    name = _name('dup')
    engine.create_alarm(ctxt, _threshold(name, namespace))
    with pytest.raises(exceptions.Conflict):
        engine.create_alarm(ctxt, _threshold(name, namespace))
    bad = _threshold(_name('bad'), namespace)
    bad = model.AlarmDefinition(**{**bad.__dict__, 'rule': model.ThresholdRule(
        **{**bad.rule.__dict__, 'comparison': 'Bigger'})})
    with pytest.raises(exceptions.InvalidParameterValue):
        engine.create_alarm(ctxt, bad)
    with pytest.raises(exceptions.InvalidParameterValue):
        engine.create_alarm(ctxt, _threshold(_name('ftp'), namespace,
                                             actions={'OK': ['ftp://example.com/x']}))


def test_list_filters_pages_by_marker_and_sorts(engine, ctxt, namespace):
    prefix = _name('list') + '-'
    for i in range(5):
        engine.create_alarm(ctxt, _threshold('%s%d' % (prefix, i), namespace,
                                             severity='critical' if i % 2 else 'low'))
    seen, marker = [], None
    while True:
        page = engine.list_alarms(ctxt, model.AlarmFilter(name_prefix=prefix),
                                  marker=marker, limit=2)
        assert len(page.items) <= 2
        seen += [a.definition.name for a in page.items]
        marker = page.marker
        if marker is None:
            break
    assert seen == ['%s%d' % (prefix, i) for i in range(5)]
    critical = engine.list_alarms(ctxt, model.AlarmFilter(name_prefix=prefix,
                                                          severity='critical'))
    assert [a.definition.name for a in critical.items] == [prefix + '1', prefix + '3']
    backwards = engine.list_alarms(ctxt, model.AlarmFilter(name_prefix=prefix),
                                   sort_dir='desc', limit=3)
    assert [a.definition.name for a in backwards.items] == [prefix + '4', prefix + '3',
                                                            prefix + '2']
    by_metric = engine.list_alarms(ctxt, model.AlarmFilter(
        name_prefix=prefix, namespace=namespace, metric_name='cpu', type='threshold',
        enabled=True))
    assert len(by_metric.items) == 5
    assert engine.list_alarms(ctxt, model.AlarmFilter(name_prefix=prefix,
                                                      type='composite')).items == []


def test_update_replaces_the_whole_definition_and_history_by_id_tells_it(engine, ctxt,
                                                                         namespace):
    alarm = engine.create_alarm(ctxt, _threshold(_name('upd'), namespace))
    alarm_id = alarm.definition.id
    renamed = _name('renamed')
    changed = _threshold(renamed, namespace, description=None, severity='low',
                         actions_enabled=False)
    updated = engine.update_alarm(ctxt, alarm_id, changed)
    assert updated.definition.name == renamed and updated.definition.id == alarm_id
    assert updated.definition.description is None
    assert updated.definition.actions_enabled is False
    state = engine.set_alarm_state_by_id(ctxt, alarm_id, 'ALARM', 'operator test',
                                         {'why': 'testing'})
    assert (state.state, state.reason, state.reason_data) == (
        'ALARM', 'operator test', {'kind': 'manual', 'data': {'why': 'testing'}})
    history = engine.get_alarm_history(ctxt, alarm_id, ascending=True)
    assert [i.type for i in history.items][:3] == ['creation', 'rule change',
                                                   'state transition']
    transitions = engine.get_alarm_history(ctxt, alarm_id, types=['state transition'])
    assert transitions.items[0].detail['state'] == 'ALARM'
    assert transitions.items[0].detail['reason_data']['data'] == {'why': 'testing'}
    assert all(i.type == 'state transition' for i in transitions.items)
    paged = engine.get_alarm_history(ctxt, alarm_id, ascending=True, limit=1)
    rest = engine.get_alarm_history(ctxt, alarm_id, ascending=True, marker=paged.marker)
    assert [paged.items[0].type] + [i.type for i in rest.items][:2] == [
        'creation', 'rule change', 'state transition']


def test_delete_by_id_keeps_the_history_and_forgets_the_alarm(engine, ctxt, namespace):
    alarm_id = engine.create_alarm(ctxt, _threshold(_name('del'), namespace)).definition.id
    engine.delete_alarm(ctxt, alarm_id)
    with pytest.raises(exceptions.AlarmNotFound):
        engine.get_alarm(ctxt, alarm_id)
    with pytest.raises(exceptions.AlarmNotFound):
        engine.delete_alarm(ctxt, alarm_id)
    kinds = [i.type for i in engine.get_alarm_history(ctxt, alarm_id).items]
    assert kinds[0] == 'deletion' and 'creation' in kinds


def test_another_project_cannot_read_change_or_list_an_alarm(engine, ctxt, other, namespace):
    name = _name('mine')
    alarm_id = engine.create_alarm(ctxt, _threshold(name, namespace)).definition.id
    for call, args in ((engine.get_alarm, ()), (engine.delete_alarm, ()),
                       (engine.set_alarm_state_by_id, ('OK', 'intruder')),
                       (engine.update_alarm, (_threshold(name, namespace),))):
        with pytest.raises(exceptions.AlarmNotFound):
            call(other, alarm_id, *args)
    assert engine.list_alarms(other, model.AlarmFilter(name=name)).items == []
    assert engine.get_alarm_history(other, alarm_id).items == []
    assert engine.get_alarm(ctxt, alarm_id).state.reason != 'intruder'


def test_a_composite_alarm_by_id_follows_its_children_and_refuses_cycles(engine, ctxt,
                                                                        namespace):
    child = engine.create_alarm(ctxt, _threshold(_name('child'), namespace))
    parent_name = _name('parent')
    parent = engine.create_alarm(ctxt, model.AlarmDefinition(
        project_id='ignored', name=parent_name,
        rule=model.CompositeRule('ALARM("%s")' % child.definition.name)))
    assert parent.definition.type == 'composite'
    engine.set_alarm_state_by_id(ctxt, child.definition.id, 'ALARM', 'forced')
    assert engine.get_alarm(ctxt, parent.definition.id).state.state == 'ALARM'
    with pytest.raises(exceptions.InvalidParameterValue):
        engine.update_alarm(ctxt, parent.definition.id, model.AlarmDefinition(
            project_id='ignored', name=parent_name,
            rule=model.CompositeRule('ALARM("%s")' % parent_name)))
    with pytest.raises(exceptions.InvalidParameterValue):
        engine.create_alarm(ctxt, model.AlarmDefinition(
            project_id='ignored', name=_name('broken'), rule=model.CompositeRule('ALARM(')))


@pytest.mark.parametrize('change', [
    lambda wire: dict(wire, actions=['https://hooks.example.com/up']),
    lambda wire: dict(wire, rule=dict(wire['rule'], statistic=None, percentile='50')),
    lambda wire: dict(wire, rule=dict(wire['rule'], period='sixty')),
])
def test_a_definition_of_the_wrong_shape_is_invalid_not_a_server_error(
        engine, ctxt, namespace, change):
    wire = change(_threshold(_name('bad'), namespace).to_wire())
    with pytest.raises(exceptions.InvalidParameterValue):
        engine._call(ctxt, 'create_alarm', '3.0', definition=wire)


@pytest.mark.parametrize('period, evaluation_periods', [(60, 1441), (3600, 169),
                                                        (60, 10 ** 9)])
def test_an_evaluation_window_past_cloudwatchs_bound_is_refused_by_the_engine(
        engine, ctxt, namespace, period, evaluation_periods):
    # Any RPC caller (the orchestrator's alarms too), not only the APIs: the
    # engine reads every period of the window (10**9 of them hung it).
    wire = _threshold(_name('long'), namespace).to_wire()
    wire['rule'] = dict(wire['rule'], period=period, evaluation_periods=evaluation_periods)
    with pytest.raises(exceptions.InvalidParameterValue, match='evaluation'):
        engine._call(ctxt, 'create_alarm', '3.0', definition=wire)
    wire['rule'] = dict(wire['rule'], evaluation_periods=86400 // period if period < 3600
                        else 604800 // period)
    assert engine._call(ctxt, 'create_alarm', '3.0', definition=wire)


def test_a_malformed_dimension_filter_is_invalid(engine, ctxt):
    with pytest.raises(exceptions.InvalidParameterValue):
        engine._call(ctxt, 'list_alarms', '3.0', filters={'dimensions': [['only-a-name']]},
                     marker=None, limit=10, sort_key='name', sort_dir='asc')


def test_rows_list_what_records_list_page_by_page(engine, ctxt, namespace):
    names = sorted(_name('row') for _ in range(3))
    for name in names:
        engine.create_alarm(ctxt, _threshold(name, namespace))
    wanted = model.AlarmFilter(namespace=namespace)
    records = engine.list_alarms(ctxt, wanted, limit=100).items
    first = engine.list_alarm_rows(ctxt, ctxt.project_id, wanted, limit=2)
    rest = engine.list_alarm_rows(ctxt, ctxt.project_id, wanted, marker=first.marker)
    assert rest.marker is None
    at = first.index()
    listed = [(r[at['id']], r[at['name']], r[at['dimensions']], r[at['actions']]['ALARM'],
               r[at['state']]) for r in first.rows + rest.rows]
    assert listed == [(a.definition.id, a.definition.name, [['host', 'web-1']],
                       a.definition.actions['ALARM'], a.state.state) for a in records]
    history = engine.alarm_history_rows(ctxt, ctxt.project_id,
                                        alarm_id=records[0].definition.id)
    at = history.index()
    assert [(r[at['type']], r[at['alarm_name']]) for r in history.rows] == [
        ('creation', names[0])]
    assert '"definition"' in history.rows[0][at['detail']]


def test_rows_of_another_project_or_of_all_are_an_admins_only(engine, ctxt, other, namespace):
    mine = engine.create_alarm(ctxt, _threshold(_name('mine'), namespace))
    theirs = engine.create_alarm(other, _threshold(_name('theirs'), namespace))
    wanted = model.AlarmFilter(namespace=namespace)
    for project_id in (None, other.project_id):
        with pytest.raises(exceptions.NotFound):
            engine.list_alarm_rows(ctxt, project_id, wanted)
        with pytest.raises(exceptions.NotFound):
            engine.alarm_history_rows(ctxt, project_id, alarm_id=theirs.definition.id)
    assert engine.alarm_history_rows(ctxt, ctxt.project_id,
                                     alarm_id=theirs.definition.id).rows == []
    admin = context.RequestContext(project_id='admin', is_admin=True)
    page = engine.list_alarm_rows(admin, None, wanted)
    at = page.index()
    assert {(r[at['id']], r[at['project_id']]) for r in page.rows} == {
        (mine.definition.id, ctxt.project_id), (theirs.definition.id, other.project_id)}
    history = engine.alarm_history_rows(admin, None, alarm_id=theirs.definition.id)
    assert [r[history.index()['project_id']] for r in history.rows] == [other.project_id]


def test_rows_refuse_the_filters_no_column_holds(engine, ctxt):
    with pytest.raises(exceptions.InvalidParameterValue):
        engine.list_alarm_rows(ctxt, ctxt.project_id,
                               model.AlarmFilter(action_prefix='https://'))
