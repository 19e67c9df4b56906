"""The shared meanings of alarms (heat_watch.common.alarms)."""

import datetime

import pytest

from heat_watch.common import alarms, exceptions


def test_action_schemes_are_the_installed_notifier_plugins():
    assert alarms.supported_schemes() == {'log', 'http', 'https'}


def test_an_action_without_a_deliverable_scheme_is_refused_without_its_secrets():
    alarms.check_actions('AlarmActions', ['https://h/hook', 'LOG://x'])
    with pytest.raises(exceptions.InvalidParameterValue) as caught:
        alarms.check_actions('OKActions', ['https://h/ok', 'ftp://h/x?Signature=s3cret'])
    assert 'OKActions' in str(caught.value) and 'ftp://h/x' in str(caught.value)
    assert 's3cret' not in str(caught.value)
    assert alarms.unsupported_action(['no scheme at all']) == 'no scheme at all'


def test_dimensions_are_canonical_whatever_their_order_and_types():
    assert alarms.canonical_dimensions([('b', 2), ('a', 'x')]) == [['a', 'x'], ['b', '2']]


def test_an_action_payload_keeps_a_given_action_id_and_the_transition_time():
    when = datetime.datetime(2026, 12, 5, 6, 0, tzinfo=datetime.UTC)
    payload = alarms.action_payload(
        action='log://x', alarm_id='a1', alarm_name='web', project_id='p1',
        previous=alarms.OK, current=alarms.ALARM, reason='r', reason_data={},
        timestamp=when, action_id='act-1')
    assert payload['action_id'] == 'act-1' and payload['timestamp'] == when.isoformat()
    assert 'severity' not in payload
    fresh = alarms.action_payload(
        action='log://x', alarm_id='a1', alarm_name='web', project_id='p1', previous='OK',
        current='ALARM', reason='r', reason_data={}, severity='critical')
    assert fresh['severity'] == 'critical' and len(fresh['action_id']) == 36
