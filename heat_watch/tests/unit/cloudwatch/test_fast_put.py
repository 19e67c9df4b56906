"""The PutMetricData hot path agrees with the general path, or declines."""

import copy
import json
import random
import time

import pytest

from heat_watch.cloudwatch import errors
from heat_watch.cloudwatch.actions import fast_put, metrics
from heat_watch.cloudwatch.protocol import json_protocol

NOW_MS = int(time.time() * 1000)
NOW = NOW_MS / 1000


class _Engine:
    def __init__(self):
        self.calls = []

    def put_metric_data(self, ctxt, namespace, metrics):
        self.calls.append((namespace, metrics))


class _Clock:
    """The general path's clock, stopped at NOW."""

    @staticmethod
    def time():
        return NOW_MS / 1000


@pytest.fixture(autouse=True)
def _stopped_clock(monkeypatch):
    monkeypatch.setattr(metrics, 'time', _Clock)


def _general_path(body: dict):
    """What the general path makes of ``body``: (namespace, metrics) or the error."""
    engine = _Engine()
    try:
        metrics.put_metric_data(None, engine, json_protocol.parse_data('PutMetricData', body))
    except errors.AWSError as error:
        return error
    return engine.calls[0]


def _fast_path(body: dict):
    """What the fast path makes of ``body``'s JSON: (namespace, metrics) or None."""
    return fast_put.metrics_of(json.dumps(body).encode(), NOW_MS)


def _stored(metrics_: list) -> list:
    """Every (name, dimensions, point) of wire ``metrics``, in a fixed order:
    the two paths may group the same points differently."""
    return sorted(((name, dims, tuple(point)) for name, dims, points in metrics_
                   for point in points), key=repr)


def _valid_datum(rng: random.Random) -> dict:
    datum = {'MetricName': rng.choice(['cpu', 'Latency', 'x' * 255]),
             'Value': rng.choice([0, 1, -2.5, 1e-100, 123456789.125, 2.0 ** 300])}
    if rng.random() < 0.8:
        names = rng.sample(['InstanceId', 'Group', 'AZ', 'b', 'a'], rng.randint(0, 4))
        datum['Dimensions'] = [{'Name': n, 'Value': rng.choice(['v', 'i-1', 'z' * 1024])}
                               for n in names]
    if rng.random() < 0.7:
        datum['Timestamp'] = rng.choice([NOW, int(NOW) - 3600, NOW - 0.0005, NOW - 86400 * 13,
                                         round(NOW - rng.uniform(0, 3600), 6)])
    if rng.random() < 0.5:
        datum['Unit'] = rng.choice(['Percent', 'None', 'Count/Second', 'Bytes'])
    if rng.random() < 0.2:
        datum['StorageResolution'] = rng.choice([1, 60])
    return datum


# Each breaks a datum in a way the general path has an answer for.
MUTATIONS = [
    lambda d: d.update(Value=float('nan')),
    lambda d: d.update(Value=2.0 ** 361),
    lambda d: d.update(Value=2.0 ** -400),
    lambda d: d.update(Value=10 ** 400),
    lambda d: d.update(Value=True),
    lambda d: d.update(Value='12'),
    lambda d: d.update(Value=None),
    lambda d: d.pop('Value'),
    lambda d: d.update(Values=[1.0, 2.0]),
    lambda d: d.update(Values=[1.0, 2.0], Counts=[1, 1]) or d.pop('Value'),
    lambda d: d.update(StatisticValues={'SampleCount': 2, 'Sum': 3, 'Minimum': 1,
                                        'Maximum': 2}) or d.pop('Value'),
    lambda d: d.update(MetricName=''),
    lambda d: d.update(MetricName='m' * 256),
    lambda d: d.update(MetricName=7),
    lambda d: d.pop('MetricName'),
    lambda d: d.update(Dimensions=[{'Name': 'a', 'Value': '1'}, {'Name': 'a', 'Value': '2'}]),
    lambda d: d.update(Dimensions=[{'Name': 'a'}]),
    lambda d: d.update(Dimensions=[{'Name': 'a', 'Value': ''}]),
    lambda d: d.update(Dimensions=[{'Name': 'a', 'Value': 'v' * 1025}]),
    lambda d: d.update(Dimensions=[None]),
    lambda d: d.update(Dimensions={'Name': 'a', 'Value': 'b'}),
    lambda d: d.update(Dimensions=[{'Name': 'd%d' % i, 'Value': 'v'} for i in range(31)]),
    lambda d: d.update(Timestamp=NOW - 86400 * 15),
    lambda d: d.update(Timestamp=NOW + 3 * 3600),
    lambda d: d.update(Timestamp='2020-01-01T00:00:00Z'),
    lambda d: d.update(Timestamp=1e303),  # overflows to infinity in milliseconds
    lambda d: d.update(Timestamp=-1e303),
    lambda d: d.update(Timestamp=False),
    lambda d: d.update(Unit='Furlongs'),
    lambda d: d.update(Unit=5),
    lambda d: d.update(StorageResolution=30),
    lambda d: d.update(StorageResolution=60.0),
    lambda d: d.update(StorageResolution=True),
    lambda d: d.update(Extra='ignored by both paths'),
]


def _body(rng: random.Random, datums: list) -> dict:
    return {'Namespace': rng.choice(['App/Web', 'a' * 255]), 'MetricData': datums}


def _assert_agree(body: dict) -> None:
    general = _general_path(copy.deepcopy(body))
    fast = _fast_path(body)
    if fast is None:
        return  # declined: the general path answers, whatever it says
    assert not isinstance(general, errors.AWSError), (body, general)
    assert fast[0] == general[0]
    assert _stored(fast[1]) == _stored(general[1])


@pytest.mark.parametrize('seed', range(200))
def test_valid_bodies_take_the_fast_path_with_the_same_result(seed):
    rng = random.Random(seed)
    body = _body(rng, [_valid_datum(rng) for _ in range(rng.randint(1, 30))])
    assert _fast_path(body) is not None
    _assert_agree(body)


@pytest.mark.parametrize('mutation', range(len(MUTATIONS)))
def test_unusual_datums_are_left_to_the_general_path(mutation):
    rng = random.Random(mutation)
    datums = [_valid_datum(rng) for _ in range(5)]
    MUTATIONS[mutation](datums[rng.randrange(5)])
    body = _body(rng, datums)
    _assert_agree(body)
    if mutation == len(MUTATIONS) - 1:
        # An unknown member: the general path ignores it (after checking the
        # body's depth); the hot path leaves such bodies to it, so that it
        # never accepts what nests deeper than its own shape.
        assert _fast_path(body) is None
        assert not isinstance(_general_path(copy.deepcopy(body)), errors.AWSError)


@pytest.mark.parametrize('body', [
    {'MetricData': [{'MetricName': 'm', 'Value': 1}]},
    {'Namespace': '', 'MetricData': [{'MetricName': 'm', 'Value': 1}]},
    {'Namespace': 'AWS/EC2', 'MetricData': [{'MetricName': 'm', 'Value': 1}]},
    {'Namespace': ':x', 'MetricData': [{'MetricName': 'm', 'Value': 1}]},
    {'Namespace': 'n' * 256, 'MetricData': [{'MetricName': 'm', 'Value': 1}]},
    {'Namespace': 'App', 'MetricData': []},
    {'Namespace': 'App'},
    {'Namespace': 'App', 'MetricData': [{'MetricName': 'm', 'Value': 1}] * 1001},
    {'Namespace': 'App', 'MetricData': [None]},
])
def test_requests_the_general_path_rejects_are_declined(body):
    assert isinstance(_general_path(body), errors.AWSError)
    assert _fast_path(body) is None


def test_a_full_batch_takes_the_fast_path():
    rng = random.Random(7)
    body = _body(rng, [_valid_datum(rng) for _ in range(metrics.MAX_METRIC_DATA)])
    _assert_agree(body)
    assert len(_stored(_fast_path(body)[1])) == metrics.MAX_METRIC_DATA


def test_datums_of_one_metric_are_grouped():
    dims = [{'Name': 'b', 'Value': '2'}, {'Name': 'a', 'Value': '1'}]
    body = {'Namespace': 'App', 'MetricData': [
        {'MetricName': 'm', 'Value': 1, 'Dimensions': dims, 'Timestamp': NOW - 1},
        {'MetricName': 'other', 'Value': 2, 'Dimensions': dims},
        {'MetricName': 'm', 'Value': 3, 'Dimensions': dims, 'Unit': 'Count'}]}
    namespace, grouped = _fast_path(body)
    assert namespace == 'App'
    assert grouped == [
        ['m', [['a', '1'], ['b', '2']],
         [(NOW_MS - 1000, 'None', 60, 1.0, 1.0, 1.0, 1.0, True, None),
          (NOW_MS, 'Count', 60, 1.0, 3.0, 3.0, 3.0, True, None)]],
        ['other', [['a', '1'], ['b', '2']],
         [(NOW_MS, 'None', 60, 1.0, 2.0, 2.0, 2.0, True, None)]]]


@pytest.mark.parametrize('text', [
    'a\\u0000b',  # an escaped NUL: the general path refuses it
    'caf\\u00e9',  # any escape: left to the general path's checks
])
def test_escaped_characters_are_left_to_the_general_path(text):
    content = ('{"Namespace": "App", "MetricData": [{"MetricName": "%s", "Value": 1}]}'
               % text).encode()
    assert fast_put.metrics_of(content, NOW_MS) is None


@pytest.mark.parametrize('content', [
    b'', b'{', b'[]', b'{"Namespace": "App", "MetricData": [{"MetricName": "m", "Value": 1}]} x',
    b'{"Namespace": "App", "MetricData": [{"MetricName": "m\xff", "Value": 1}]}',
    b'{"Namespace": "App", "MetricData": [{"MetricName": "m", "Value": NaN}]}',
    b'{"Namespace": "App", "MetricData": [{"MetricName": "m", "Value": 1e999}]}',
])
def test_bodies_that_are_not_plain_json_are_declined(content):
    assert fast_put.metrics_of(content, NOW_MS) is None


def test_declined_requests_do_not_reach_the_engine():
    engine = _Engine()
    assert fast_put.put_metric_data(None, engine, b'{"Namespace": "AWS/EC2"}') is None
    assert engine.calls == []
    assert fast_put.put_metric_data(
        None, engine, b'{"Namespace": "App", "MetricData": [{"MetricName": "m", "Value": 2}]}'
    ) == {}
    assert engine.calls[0][0] == 'App' and engine.calls[0][1][0][2][0][4] == 2.0


def test_dimensions_are_decoded_once_and_the_memory_is_bounded(monkeypatch):
    monkeypatch.setattr(fast_put, '_DIMENSIONS_SEEN', {})
    monkeypatch.setattr(fast_put, '_DIMENSIONS_SEEN_MAX', 2)
    raw = b'[{"Name": "b", "Value": "2"}, {"Name": "a", "Value": "1"}]'
    first = fast_put._known_dimensions(raw)
    assert first == [['a', '1'], ['b', '2']]
    assert fast_put._known_dimensions(raw) is first
    assert fast_put._known_dimensions(b'[{"Name": "a"}]') is None  # invalid: not kept
    fast_put._known_dimensions(b'[]')
    fast_put._known_dimensions(b'[{"Name": "c", "Value": "3"}]')
    assert len(fast_put._DIMENSIONS_SEEN) <= 2
