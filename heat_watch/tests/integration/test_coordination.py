"""Several watch engines share the alarms through tooz on the machine's Redis."""

import socket
import uuid

import pytest

from heat_watch.common import coordination
from heat_watch.tests.integration import base

REDIS = ('127.0.0.1', 6379)


def _require_redis() -> None:
    try:
        socket.create_connection(REDIS, timeout=2).close()
    except OSError:
        base.unavailable('Redis not reachable at %s:%d' % REDIS)


@pytest.fixture
def group() -> str:
    _require_redis()
    return 'test-%s' % uuid.uuid4().hex


def _member(group: str, name: str) -> coordination.Partitioner:
    partitioner = coordination.Partitioner('redis://%s:%d' % REDIS, group, name, refresh=0.5)
    partitioner.start()
    return partitioner


def test_each_alarm_belongs_to_exactly_one_of_two_engines(group):
    first, second = _member(group, 'engine-a'), _member(group, 'engine-b')
    try:
        items = [str(uuid.uuid4()) for _ in range(2000)]
        owners = [(first.owns(i), second.owns(i)) for i in items]
        assert all(a != b for a, b in owners)
        share = sum(a for a, _ in owners) / len(items)
        assert 0.3 < share < 0.7, 'the ring should split the alarms roughly evenly'
    finally:
        first.stop()
        second.stop()


def test_the_remaining_engine_takes_every_alarm_when_the_other_leaves(group):
    first, second = _member(group, 'engine-a'), _member(group, 'engine-b')
    items = [str(uuid.uuid4()) for _ in range(200)]
    try:
        assert not all(first.owns(i) for i in items)
        second.stop()
        first._read_at = 0.0  # read the membership again now
        assert all(first.owns(i) for i in items)
    finally:
        first.stop()


def test_without_a_backend_one_engine_owns_everything():
    alone = coordination.Partitioner(None, 'unused', 'engine-a')
    alone.start()
    assert alone.owns(str(uuid.uuid4()))
    alone.stop()


def test_members_name_the_live_engines_and_drop_one_that_left(group):
    first, second = _member(group, 'engine-a'), _member(group, 'engine-b')
    try:
        assert first.members() == {'engine-a', 'engine-b'}
        second.stop()
        first._read_at = 0.0  # read the membership again now
        assert first.members() == {'engine-a'}
    finally:
        first.stop()
