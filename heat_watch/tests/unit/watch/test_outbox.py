"""The action outbox: publishing alarm actions never blocks evaluation."""

import datetime
import threading
import time

import pytest

from heat_watch.tests.unit.watch import support
from heat_watch.watch import evaluator as evaluator_mod
from heat_watch.watch.storage import alarms as alarm_storage
from heat_watch.watch.storage import connection
from heat_watch.watch.storage import metrics as metric_storage


class Publisher:
    """Records what it publishes; can be made to block (a broker outage that
    holds the publish) or to fail (a broker that refuses it)."""

    def __init__(self):
        self.sent = []
        self.open = threading.Event()
        self.open.set()
        self.failures = 0
        self.blocked = threading.Event()
        self.attempts = []

    def send(self, ctxt, payload):
        self.attempts.append(payload['action_id'])
        if not self.open.is_set():
            self.blocked.set()
            self.open.wait(30)
        if self.failures:
            self.failures -= 1
            raise ConnectionError('broker unreachable')
        self.sent.append((payload['alarm_name'], payload['previous'], payload['current'],
                          payload['action'], payload['action_id'], ctxt.project_id))


@pytest.fixture
def conf(watch_conf):
    watch_conf.register_opts(evaluator_mod.OPTS, group=evaluator_mod.GROUP)
    watch_conf.set_override('outbox_retry_interval', 0.1, group='watch_engine')
    watch_conf.set_override('outbox_poll_interval', 0.2, group='watch_engine')
    return watch_conf


@pytest.fixture
def store(conf):
    return alarm_storage.AlarmStore(connection.get_engine(conf), host='engine-1')


@pytest.fixture
def publisher():
    return Publisher()


@pytest.fixture
def evaluator(conf, store, publisher):
    evaluator = evaluator_mod.AlarmEvaluator(conf, store, publisher)
    yield evaluator
    publisher.open.set()
    evaluator.stop()


def _alarm(store, name: str, **extra) -> dict:
    extra.setdefault('actions', {'ALARM': ['https://hooks.example.com/%s/alarm' % name],
                                 'OK': ['https://hooks.example.com/%s/ok' % name]})
    return support.put(store, support.threshold(
        name, metric_name=name, threshold=50.0, statistic='Maximum', **extra))


def _put(store, name: str, value: float) -> None:
    """One datapoint in the last complete minute."""
    now = datetime.datetime.now(datetime.UTC)
    stamp = (int(now.timestamp()) // 60 - 1) * 60 * 1000 + 30_000
    metric_storage.MetricStore(store.engine).write(
        [('p1', 'ns', [{'n': name, 'd': [], 't': stamp, 'v': value}])])


def _wait_for(condition, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return False


def test_actions_are_recorded_with_the_transition_and_published_later(evaluator, store,
                                                                       publisher):
    alarm = _alarm(store, 'web')
    evaluator.change_state(alarm, 'ALARM', 'breached', '{"threshold": 50.0}')
    pending = store.pending_actions(10)
    assert len(pending) == 1 and publisher.sent == []
    assert evaluator.outbox.send_pending() == 1
    assert [s[:4] for s in publisher.sent] == [
        ('web', 'INSUFFICIENT_DATA', 'ALARM', 'https://hooks.example.com/web/alarm')]
    assert publisher.sent[0][5] == 'p1'
    assert store.pending_actions(10) == []


def test_an_alarm_without_actions_transitions_while_the_broker_holds_a_publish(
        evaluator, store, publisher):
    noisy = _alarm(store, 'noisy')
    _alarm(store, 'silent', actions={})
    publisher.open.clear()
    evaluator.start()
    evaluator.change_state(noisy, 'ALARM', 'breached', '{}')
    assert publisher.blocked.wait(5), 'the outbox never tried to publish'

    _put(store, 'silent', 90.0)
    started = time.monotonic()
    evaluator.evaluate_alarms(store.for_metric_keys([store.get('p1', 'silent')['metric_key']]))
    assert time.monotonic() - started < 2.0
    assert store.get('p1', 'silent')['state'] == 'ALARM'
    history = store.history('p1', name='silent', types=(alarm_storage.METRIC,),
                            item_type='StateUpdate', start=None, end=None, ascending=True,
                            after_id=None, limit=10)
    assert [h.summary for h in history] == ['Alarm updated from INSUFFICIENT_DATA to ALARM']

    # The noisy alarm moves again while its first action is still held.
    evaluator.change_state(store.get('p1', 'noisy'), 'OK', 'recovered', '{}')
    assert publisher.sent == []
    publisher.open.set()
    assert _wait_for(lambda: len(publisher.sent) == 2)
    assert [s[:3] for s in publisher.sent] == [('noisy', 'INSUFFICIENT_DATA', 'ALARM'),
                                               ('noisy', 'ALARM', 'OK')]
    assert _wait_for(lambda: store.pending_actions(10) == [])


def test_a_refused_publish_is_retried_in_order_and_nothing_is_lost(evaluator, store,
                                                                   publisher):
    alarm = _alarm(store, 'web')
    publisher.failures = 3
    evaluator.start()
    alarm = evaluator.change_state(alarm, 'ALARM', 'breached', '{}')
    alarm = evaluator.change_state(alarm, 'OK', 'recovered', '{}')
    evaluator.change_state(alarm, 'ALARM', 'breached again', '{}')
    assert _wait_for(lambda: len(publisher.sent) == 3)
    assert [s[2] for s in publisher.sent] == ['ALARM', 'OK', 'ALARM']
    assert publisher.failures == 0
    assert _wait_for(lambda: store.pending_actions(10) == [])
    assert len(publisher.sent) == 3  # none twice


def test_an_engine_restart_sends_what_it_had_not_published(conf, store, publisher):
    first = evaluator_mod.AlarmEvaluator(conf, store, publisher)
    alarm = _alarm(store, 'web')
    first.change_state(alarm, 'ALARM', 'breached', '{}')
    # Another engine's pending action is its own to send.
    other = alarm_storage.AlarmStore(store.engine, host='engine-2')
    other.mark_actions_run(store.get('p1', 'web'), ['https://hooks.example.com/other'])
    first.stop()  # never started: nothing was published

    mine = alarm_storage.AlarmStore(store.engine, host='engine-1')
    restarted = evaluator_mod.AlarmEvaluator(conf, mine, publisher)
    restarted.start()
    try:
        assert _wait_for(lambda: len(publisher.sent) == 1)
        assert publisher.sent[0][3] == 'https://hooks.example.com/web/alarm'
        # Its row goes once published (by the outbox's own thread, a moment
        # after the send: another send_pending here would race it).
        assert _wait_for(lambda: mine.pending_actions(10) == [])
        assert len(other.pending_actions(10)) == 1 and len(publisher.sent) == 1
    finally:
        restarted.stop()


def test_a_resent_action_keeps_its_action_id(conf, store, publisher):
    evaluator = evaluator_mod.AlarmEvaluator(conf, store, publisher)
    evaluator.change_state(_alarm(store, 'web'), 'ALARM', 'breached', '{}')
    publisher.failures = 1
    assert evaluator.outbox.send_pending() == 0
    assert evaluator.outbox.send_pending() == 1
    (row,) = publisher.sent
    assert publisher.attempts == [row[4], row[4]]


def test_repeated_actions_go_through_the_outbox(evaluator, store, publisher):
    alarm = _alarm(store, 'web', repeat_actions=True)
    alarm = evaluator.change_state(alarm, 'ALARM', 'breached', '{}')
    assert store.mark_actions_run(alarm, ['https://hooks.example.com/web/alarm'])
    while evaluator.outbox.send_pending():
        pass
    assert [s[1:3] for s in publisher.sent] == [('INSUFFICIENT_DATA', 'ALARM'),
                                                ('ALARM', 'ALARM')]


def test_handed_rows_are_sent_without_reading_them_back_and_each_action_once(
        evaluator, store, publisher):
    alarm = _alarm(store, 'web')
    alarm = evaluator.change_state(alarm, 'ALARM', 'one', '{}')
    assert evaluator.outbox.send_pending() == 1  # the first read drains the table
    read_row = None
    for state, reason in (('OK', 'two'), ('ALARM', 'three')):
        alarm = evaluator.change_state(alarm, state, reason, '{}')
        [read_row] = store.pending_actions(10)  # SQLite may give it a freed id again
        assert evaluator.outbox.send_pending() == 1
    # A row both read from the table and handed over goes out once.
    evaluator.outbox.hand([read_row])
    assert evaluator.outbox.send_pending() == 0
    assert [s[2] for s in publisher.sent] == ['ALARM', 'OK', 'ALARM']
    assert len({s[4] for s in publisher.sent}) == 3
    assert store.pending_actions(10) == []
