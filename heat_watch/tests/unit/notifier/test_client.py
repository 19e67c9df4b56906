"""The sender's payload, and its logs when publishing fails."""

import datetime
import logging
import uuid

from heat_watch.notifier import client


def test_make_payload_gives_each_run_a_fresh_action_id_and_an_iso_timestamp():
    when = datetime.datetime(2026, 11, 23, 10, 0, tzinfo=datetime.UTC)
    fields = dict(action='http://h/x', alarm_id='a', alarm_name='n', project_id='p',
                  previous='OK', current='ALARM', reason='r', reason_data={'k': 1})

    first = client.make_payload(timestamp=when, severity='low', **fields)
    second = client.make_payload(**fields)

    assert first['action_id'] != second['action_id']
    assert uuid.UUID(first['action_id'])
    assert first['timestamp'] == '2026-11-23T10:00:00+00:00'
    assert first['severity'] == 'low' and 'severity' not in second
    assert {k: first[k] for k in fields} == fields


def test_a_failed_publish_is_logged_without_the_url_secrets(caplog):
    # What oslo.messaging's messaging driver logs when it cannot publish.
    payload = {'action': 'https://h/signal?Signature=t0ps3cret', 'alarm_id': 'a'}
    logging.getLogger('oslo_messaging.notify.messaging').error(
        'Could not send notification to %(topic)s. Payload=%(message)s',
        {'topic': 'heat_watch_alarm_actions', 'message': {'payload': payload}})

    assert 'Signature=***' in caplog.text and 't0ps3cret' not in caplog.text
    assert payload['action'].endswith('t0ps3cret')  # the caller's payload is untouched
