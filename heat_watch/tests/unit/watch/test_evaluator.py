"""AlarmEvaluator on SQLite: the fast path's filter, batched transitions."""

import datetime

import pytest

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


def _definition(name: str, **extra) -> dict:
    return dict({'AlarmName': name, 'Namespace': 'ns', 'MetricName': name, 'Period': 60,
                 'EvaluationPeriods': 1, 'Threshold': 50.0, 'Statistic': 'Maximum',
                 'ComparisonOperator': 'GreaterThanThreshold',
                 'AlarmActions': ['log://alarm'], 'OKActions': ['log://ok']}, **extra)


def _alarm(store, name: str, **extra) -> dict:
    key = metric_storage.metric_key('p1', 'ns', name, [])
    return store.put('p1', alarm_storage.METRIC, _definition(name, **extra), key)[0]


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
    quiet = _alarm(store, 'quiet', ActionsEnabled=False)
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
