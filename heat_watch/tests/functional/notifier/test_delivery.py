"""Alarm actions sent by the engine's sender, delivered by the notifier service,
results observed by a fake watch engine: all on the in-process transport."""

import logging
import threading
import time

from heat_watch.notifier import service as notifier_service
from heat_watch.tests.functional.notifier import receiver as receivers
from heat_watch.tests.functional.notifier import support

SECRET = 'c2VjcmV0LXNpZ25hdHVyZQ'


def test_http_action_posts_the_aodh_body_with_action_and_request_id_headers(
        notifier, engine, receiver, send):
    payload = send(receiver.url + '/hooks/scale-up')

    assert receiver.wait_for(lambda r: r.completed)
    request = receiver.completed[0]
    assert request.path == '/hooks/scale-up'
    assert request.headers['content-type'] == 'application/json'
    assert request.headers['x-heat-watch-action-id'] == payload['action_id']
    assert request.headers['x-openstack-request-id'] == 'req-functional-1'
    assert request.json == {
        'alarm_name': 'cpu-high', 'alarm_id': 'alarm-1', 'severity': 'critical',
        'previous': 'insufficient data', 'current': 'alarm', 'reason': payload['reason'],
        'reason_data': payload['reason_data'], 'project_id': 'project-1',
        'timestamp': payload['timestamp']}
    [result] = engine.wait_for(1)
    assert result['outcome'] == 'delivered'
    assert (result['action_id'], result['attempt'], result['status']) == \
        (payload['action_id'], 1, 200)
    assert result['error'] is None and result['timestamp']


def test_two_server_errors_then_success_is_delivered_on_attempt_three(
        notifier, engine, send):
    receiver = receivers.Receiver(statuses=[500, 503, 200])
    try:
        send(receiver.url + '/hook')
        results = engine.wait_for(3)
    finally:
        receiver.close()

    assert [(r['attempt'], r['outcome'], r['status']) for r in results] == [
        (1, 'retrying', 500), (2, 'retrying', 503), (3, 'delivered', 200)]
    assert 'HTTP 500' in results[0]['error']
    assert len(receiver.started) == 3


def test_a_client_error_fails_after_one_attempt_and_is_not_retried(notifier, engine, send):
    receiver = receivers.Receiver(statuses=[400, 200])
    try:
        send(receiver.url + '/hook')
        [result] = engine.wait_for(1)
        time.sleep(0.3)  # time for a wrong retry or redelivery to show up
    finally:
        receiver.close()

    assert (result['attempt'], result['outcome'], result['status']) == (1, 'failed', 400)
    assert len(receiver.started) == 1
    assert len(engine.results) == 1


def test_connection_refused_is_retried_up_to_max_attempts_then_failed(
        notifier, engine, send):
    send('http://127.0.0.1:%d/hook' % support.closed_port())

    results = engine.wait_for(3)
    assert [(r['attempt'], r['outcome'], r['status']) for r in results] == [
        (1, 'retrying', None), (2, 'retrying', None), (3, 'failed', None)]
    assert results[-1]['error'] == 'connection refused'  # a category, not errno text
    time.sleep(0.3)
    assert len(engine.results) == 3  # acknowledged: no redelivery after giving up


def test_an_unknown_scheme_is_recorded_as_failed_and_acknowledged(notifier, engine, send):
    send('ftp://example.invalid/alarm')

    [result] = engine.wait_for(1)
    assert result['outcome'] == 'failed'
    assert "unsupported action scheme 'ftp'" in result['error']
    time.sleep(0.3)
    assert len(engine.results) == 1


def test_secrets_in_the_url_reach_the_receiver_but_no_log_or_result(
        notifier, engine, receiver, send, caplog):
    caplog.set_level(logging.DEBUG)
    query = '?Timestamp=2026&SignatureMethod=HmacSHA256&AWSAccessKeyId=AKIDSECRET&Signature='
    url = receiver.url + '/signal' + query + SECRET
    refused = 'http://127.0.0.1:%d/x?token=%s' % (support.closed_port(), SECRET + 'tok')

    send(url)
    send(refused, alarm_id='alarm-2')
    results = engine.wait_for(4)

    assert receiver.completed[0].path == '/signal' + query + SECRET
    delivered = [r for r in results if r['outcome'] == 'delivered'][0]
    assert delivered['url'] == receiver.url + (
        '/signal?Timestamp=2026&SignatureMethod=HmacSHA256&AWSAccessKeyId=***&Signature=***')
    everything = caplog.text + repr(engine.results)
    for secret in (SECRET, 'AKIDSECRET'):
        assert secret not in everything
    assert 'token=***' in caplog.text


def test_log_action_writes_the_transition_without_secrets(notifier, engine, send, caplog):
    caplog.set_level(logging.INFO, logger='heat_watch.notifier.log')
    send('log://alarms?token=' + SECRET)

    [result] = engine.wait_for(1)
    assert (result['outcome'], result['status']) == ('delivered', None)
    assert result['url'] == 'log://alarms?token=***'
    lines = [r.getMessage() for r in caplog.records if r.name == 'heat_watch.notifier.log']
    assert len(lines) == 1
    assert 'cpu-high' in lines[0] and 'INSUFFICIENT_DATA to ALARM' in lines[0]
    assert 'log://alarms?token=***' in lines[0]
    assert SECRET not in caplog.text


def test_stopping_while_an_action_waits_to_retry_gives_it_back_to_the_queue():
    conf = support.make_conf(retry_initial_delay=30.0, retry_max_delay=30.0)
    receiver = receivers.Receiver(statuses=[500])
    first = notifier_service.NotifierService(conf, report=lambda *args: None)
    first.start()
    try:
        support.make_sender(conf)(receiver.url + '/hook')
        assert receiver.wait_for(lambda r: r.completed)
        began = time.monotonic()
        first.stop()
        assert time.monotonic() - began < 5.0  # did not sit out the 30 s backoff

        second = notifier_service.NotifierService(conf, report=lambda *args: None)
        second.start()
        try:
            assert receiver.wait_for(lambda r: len(r.completed) == 2)
        finally:
            second.stop()
    finally:
        receiver.close()
    assert [r.status for r in receiver.completed] == [500, 200]
    assert receiver.completed[0].headers['x-heat-watch-action-id'] == \
        receiver.completed[1].headers['x-heat-watch-action-id']


def test_a_failing_or_stuck_report_does_not_hold_up_delivery(conf, receiver, send):
    report = _StuckReport()
    service = notifier_service.NotifierService(conf, report=report)
    service.start()
    try:
        send(receiver.url + '/one')
        send(receiver.url + '/two')
        assert receiver.wait_for(lambda r: len(r.completed) == 2)
    finally:
        report.release()
        service.stop()
    assert sorted(r.path for r in receiver.completed) == ['/one', '/two']
    assert report.calls >= 1


class _StuckReport:
    """A report that blocks until released, then raises."""

    def __init__(self):
        self._event = threading.Event()
        self.calls = 0

    def __call__(self, ctxt, alarm_id, result):
        self.calls += 1
        self._event.wait(30)
        raise RuntimeError('the watch engine is unreachable')

    def release(self):
        self._event.set()


def test_a_redirect_is_not_followed_and_fails_the_action(notifier, engine, send):
    receiver = receivers.Receiver(statuses=[302])
    try:
        send(receiver.url + '/old')
        [result] = engine.wait_for(1)
    finally:
        receiver.close()

    assert (result['outcome'], result['status']) == ('failed', 302)
    assert 'redirects are not followed' in result['error']
    assert len(receiver.started) == 1
