"""Actions a watch engine recorded and never sent (it was killed between the
transition and the publish, or during a broker outage) are sent by the engine
that owns the alarm now, once the dead engine has left the tooz group."""

import time

import pytest

from heat_watch.common import coordination
from heat_watch.tests.unit.watch import support
from heat_watch.watch import evaluator as evaluator_mod
from heat_watch.watch import outbox
from heat_watch.watch.storage import alarms as alarm_storage
from heat_watch.watch.storage import connection


class Publisher:
    def __init__(self):
        self.sent = []

    def send(self, ctxt, payload):
        self.sent.append((payload['alarm_name'], payload['current'], payload['action_id'],
                          ctxt.project_id))


@pytest.fixture
def conf(watch_conf):
    """The watch engine's options on a migrated SQLite file (conftest)."""
    return watch_conf


def _dead_engine_left_an_action(conf, name: str = 'high') -> dict:
    """engine-dead records an ALARM transition with one action, sends nothing."""
    store = alarm_storage.AlarmStore(connection.get_engine(conf), host='engine-dead')
    dead = evaluator_mod.AlarmEvaluator(conf, store, Publisher())  # never started
    alarm = support.put(store, support.threshold(
        name, actions={'ALARM': ['https://hooks.example.com/%s' % name]}))
    assert dead.change_state(alarm, 'ALARM', 'breach', '{}') is not None
    return alarm


def _survivor(conf, live=('engine-live',), owns=lambda _id: True, grace=0.0):
    store = alarm_storage.AlarmStore(connection.get_engine(conf), host='engine-live')
    publisher = Publisher()
    sender = outbox.ActionOutbox(store, publisher, poll_interval=0.1, retry_interval=0.1)
    # Orphans are rows older than now - grace: read a millisecond later than
    # the clock, or a row recorded in this very millisecond is not one yet.
    sender._now_ms = lambda: int(time.time() * 1000) + 1
    sender.adopt_orphans(lambda: None if live is None else set(live), owns, grace)
    return sender, publisher, store


def test_the_owner_sends_the_action_a_dead_engine_left_once(conf):
    alarm = _dead_engine_left_an_action(conf)
    sender, publisher, store = _survivor(conf)
    assert sender.send_orphans() == 1
    [(name, state, action_id, project)] = publisher.sent
    assert (name, state, project) == ('high', 'ALARM', alarm['project_id'])
    assert action_id
    assert store.orphaned_actions({'engine-live'}, int(time.time() * 1000) + 1, 10) == []
    assert sender.send_orphans() == 0
    assert len(publisher.sent) == 1


@pytest.mark.parametrize('case', ['recorder alive', 'alarm not owned', 'within grace',
                                  'no coordination'])
def test_an_orphan_is_left_alone_unless_its_engine_is_gone_and_the_alarm_is_ours(conf, case):
    _dead_engine_left_an_action(conf)
    sender, publisher, store = _survivor(conf, **{
        'recorder alive': {'live': ('engine-live', 'engine-dead')},
        'alarm not owned': {'owns': lambda _id: False},
        'within grace': {'grace': 60.0},
        'no coordination': {'live': None}}[case])
    assert sender.send_orphans() == 0
    assert publisher.sent == []
    # Still there for whoever may send it.
    assert len(alarm_storage.AlarmStore(store.engine, host='engine-dead')
               .pending_actions(10)) == 1


def test_orphans_of_other_owners_do_not_hide_ours_behind_a_full_page(conf, monkeypatch):
    monkeypatch.setattr(outbox, 'BATCH', 2)
    others = [_dead_engine_left_an_action(conf, name)['id'] for name in ('a', 'b', 'c')]
    ours = _dead_engine_left_an_action(conf, 'd')['id']
    sender, publisher, store = _survivor(conf, owns=lambda alarm_id: alarm_id == ours)
    assert sender.send_orphans() == 1
    assert [s[0] for s in publisher.sent] == ['d']
    left = store.orphaned_actions({'engine-live'}, int(time.time() * 1000) + 1, 10)
    assert sorted(row.alarm_id for row in left) == sorted(others)


def test_the_running_sender_adopts_orphans_on_its_poll(conf):
    _dead_engine_left_an_action(conf)
    sender, publisher, _store = _survivor(conf)
    sender.start()
    try:
        deadline = time.monotonic() + 10
        while not publisher.sent:
            assert time.monotonic() < deadline, 'the orphaned action was not sent'
            time.sleep(0.05)
    finally:
        sender.stop()
    assert [s[:2] for s in publisher.sent] == [('high', 'ALARM')]


def test_without_a_backend_a_partitioner_names_no_members():
    alone = coordination.Partitioner(None, 'unused', 'engine-a')
    alone.start()
    assert alone.members() is None
    alone.stop()
