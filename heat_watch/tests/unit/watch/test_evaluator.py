"""AlarmEvaluator on SQLite: the fast path's filter, batched transitions."""

import datetime

import pytest

from heat_watch.tests.unit.watch import support
from heat_watch.watch import evaluator as evaluator_mod
from heat_watch.watch.storage import alarms as alarm_storage
from heat_watch.watch.storage import connection
from heat_watch.watch.storage import metrics as metric_storage


class RecordingSender:
    def __init__(self):
        self.sent = []

    def send(self, ctxt, payload):
        self.sent.append((payload['alarm_name'], payload['previous'], payload['current'],
                          payload['action']))


@pytest.fixture
def conf(watch_conf):
    watch_conf.register_opts(evaluator_mod.OPTS, group=evaluator_mod.GROUP)
    return watch_conf


@pytest.fixture
def store(conf):
    return alarm_storage.AlarmStore(connection.get_engine(conf))


@pytest.fixture
def sender():
    return RecordingSender()


@pytest.fixture
def evaluator(conf, store, sender):
    return evaluator_mod.AlarmEvaluator(conf, store, sender)


def _alarm(store, name: str, **extra) -> dict:
    return support.put(store, support.threshold(
        name, metric_name=name, threshold=50.0, statistic='Maximum',
        actions={'ALARM': ['log://alarm'], 'OK': ['log://ok']}, **extra))


def _publish(evaluator) -> None:
    """What the outbox's thread does in the engine: publish every recorded action."""
    while evaluator.outbox.send_pending():
        pass


def _queued(evaluator) -> list[set[str]]:
    found = []
    while not evaluator._keys.empty():
        found.append(evaluator._keys.get_nowait())
    return found


def test_before_the_first_sweep_every_written_metric_is_queued(evaluator):
    evaluator.metrics_written({'a', 'b'})
    assert _queued(evaluator) == [{'a', 'b'}]


def test_after_a_sweep_only_watched_metrics_wake_the_fast_path(evaluator, store):
    alarm = _alarm(store, 'cpu')
    evaluator.sweep()
    evaluator.metrics_written({'unwatched'})
    evaluator.metrics_written({'unwatched', alarm['metric_key']})
    evaluator.watch('new-key')
    evaluator.metrics_written({'new-key'})
    assert _queued(evaluator) == [{alarm['metric_key']}, {'new-key'}]


def test_a_batch_of_transitions_sends_the_actions_of_the_winners_only(evaluator, store,
                                                                         sender):
    first, second = _alarm(store, 'first'), _alarm(store, 'second')
    quiet = _alarm(store, 'quiet', actions_enabled=False)
    store.transition(second, 'OK', 'another engine moved it', None, run_actions=False)
    won = evaluator.change_states([
        alarm_storage.Transition(first, 'ALARM', 'breached', '{}', True, ('log://alarm',)),
        alarm_storage.Transition(second, 'ALARM', 'breached (stale)', '{}', True,
                                 ('log://alarm',)),
        alarm_storage.Transition(quiet, 'ALARM', 'breached', '{}', False)])
    assert [a['name'] for a in won] == ['first', 'quiet']
    _publish(evaluator)
    assert sender.sent == [('first', 'INSUFFICIENT_DATA', 'ALARM', 'log://alarm')]
    assert store.get('p1', 'second')['state'] == 'OK'


def test_a_sweep_moves_alarms_by_their_datapoints_in_one_pass(evaluator, store, sender):
    now = datetime.datetime.now(datetime.UTC)
    stamp = (int(now.timestamp()) // 60 - 1) * 60 * 1000 + 30_000
    for name in ('hot', 'cold'):
        _alarm(store, name)
    metric_storage.MetricStore(store.engine).write([('p1', 'ns', [
        {'n': 'hot', 'd': [], 't': stamp, 'v': 90.0},
        {'n': 'cold', 'd': [], 't': stamp, 'v': 10.0}])])
    assert evaluator.sweep() == 2
    assert {a['name']: a['state'] for a in store.find('p1')} == {'hot': 'ALARM', 'cold': 'OK'}
    _publish(evaluator)
    assert sorted(sender.sent) == [('cold', 'INSUFFICIENT_DATA', 'OK', 'log://ok'),
                                   ('hot', 'INSUFFICIENT_DATA', 'ALARM', 'log://alarm')]


def _write_now(store, name: str, value: float) -> None:
    """A datum stamped now: it lands in the period still open."""
    metric_storage.MetricStore(store.engine).write([('p1', 'ns', [
        {'n': name, 'd': [], 't': metric_storage.now_ms(), 'v': value}])])


def test_a_breaching_datum_in_the_open_period_decides_a_maximum_alarm_at_once(
        evaluator, store, sender):
    alarm = _alarm(store, 'spike')
    _write_now(store, 'spike', 90.0)
    evaluator.evaluate_alarms(store.for_metric_keys([alarm['metric_key']]))
    assert store.get('p1', 'spike')['state'] == 'ALARM'
    _publish(evaluator)
    assert sender.sent == [('spike', 'INSUFFICIENT_DATA', 'ALARM', 'log://alarm')]


def test_an_average_alarm_waits_for_its_open_period_to_close(evaluator, store):
    alarm = support.put(store, support.threshold(
        'mean', metric_name='mean', threshold=50.0, statistic='Average'))
    _write_now(store, 'mean', 90.0)
    evaluator.evaluate_alarms(store.for_metric_keys([alarm['metric_key']]))
    assert store.get('p1', 'mean')['state'] == 'INSUFFICIENT_DATA'


def test_evaluate_open_period_false_waits_for_the_close(conf, evaluator, store):
    conf.set_override('evaluate_open_period', False, group=evaluator_mod.GROUP)
    alarm = _alarm(store, 'strict')
    _write_now(store, 'strict', 90.0)
    evaluator.evaluate_alarms(store.for_metric_keys([alarm['metric_key']]))
    assert store.get('p1', 'strict')['state'] == 'INSUFFICIENT_DATA'
