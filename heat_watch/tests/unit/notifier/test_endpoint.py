"""The notification endpoint's contract with oslo.messaging (what it returns
decides ack or requeue) and with the watch engine (what it reports)."""

import threading
import time

import pytest

from heat_watch.common import context as hw_context
from heat_watch.notifier import base, retry
from heat_watch.notifier import service as notifier_service

HANDLED = notifier_service.HANDLED
REQUEUE = notifier_service.REQUEUE
PAYLOAD = {'action': 'http://h/hook?token=t0ps3cret', 'action_id': 'act-1',
           'alarm_id': 'alarm-1', 'current': 'ALARM'}


class ScriptedPlugin:
    """Raises the scripted errors in turn, then answers 200."""

    def __init__(self, *errors):
        self.errors = list(errors)
        self.calls = []

    def notify(self, action, payload):
        self.calls.append((action, payload))
        if self.errors:
            raise self.errors.pop(0)
        return 200


class Plugins:
    def __init__(self, plugin):
        self.plugin = plugin

    def get(self, scheme):
        if scheme != 'http':
            raise base.PermanentError('unsupported action scheme %r' % scheme)
        return self.plugin


def make_endpoint(plugin, max_attempts=3, initial_delay=0.0):
    reports = []
    policy = retry.RetryPolicy(max_attempts=max_attempts, initial_delay=initial_delay,
                               max_delay=initial_delay)
    endpoint = notifier_service.ActionEndpoint(
        Plugins(plugin), policy, lambda ctxt, alarm_id, result: reports.append(result))
    return endpoint, reports


def deliver(endpoint, payload=PAYLOAD, event_type='alarm.action'):
    ctxt = hw_context.RequestContext(request_id='req-7')
    return endpoint.info(ctxt, 'heat-watch-engine.h', event_type, payload, {})


def outcomes(reports):
    return [(r['attempt'], r['outcome'], r['status']) for r in reports]


def test_delivered_action_is_acknowledged_and_reported_with_a_redacted_url():
    plugin = ScriptedPlugin()
    endpoint, reports = make_endpoint(plugin)

    assert deliver(endpoint) == HANDLED
    assert outcomes(reports) == [(1, 'delivered', 200)]
    assert reports[0]['url'] == 'http://h/hook?token=***'
    assert plugin.calls[0][0].geturl() == PAYLOAD['action']
    assert plugin.calls[0][1]['request_id'] == 'req-7'


def test_retryable_errors_are_retried_then_the_action_is_acknowledged_as_failed():
    error = base.RetryableError('HTTP 503 Service Unavailable', status=503)
    endpoint, reports = make_endpoint(ScriptedPlugin(error, error, error, error))

    assert deliver(endpoint) == HANDLED
    assert outcomes(reports) == [(1, 'retrying', 503), (2, 'retrying', 503),
                                 (3, 'failed', 503)]
    assert reports[-1]['error'] == 'HTTP 503 Service Unavailable'


def test_a_permanent_error_is_not_retried():
    endpoint, reports = make_endpoint(ScriptedPlugin(base.PermanentError('HTTP 404', 404)))

    assert deliver(endpoint) == HANDLED
    assert outcomes(reports) == [(1, 'failed', 404)]


def test_a_plugin_bug_is_reported_as_failed_not_requeued_forever():
    endpoint, reports = make_endpoint(ScriptedPlugin(KeyError('t0ps3cret')))

    assert deliver(endpoint) == HANDLED
    assert outcomes(reports) == [(1, 'failed', None)]
    assert reports[0]['error'] == 'unexpected error: KeyError'


@pytest.mark.parametrize('payload, error', [
    (dict(PAYLOAD, action='ftp://h/x'), "unsupported action scheme 'ftp'"),
    ({k: v for k, v in PAYLOAD.items() if k != 'action'}, 'the alarm action has no URL'),
])
def test_an_action_that_cannot_be_run_is_failed_at_once(payload, error):
    plugin = ScriptedPlugin()
    endpoint, reports = make_endpoint(plugin)

    assert deliver(endpoint, payload) == HANDLED
    assert outcomes(reports) == [(1, 'failed', None)]
    assert error in reports[0]['error'] and plugin.calls == []


def test_other_event_types_are_acknowledged_untouched():
    plugin = ScriptedPlugin()
    endpoint, reports = make_endpoint(plugin)

    assert deliver(endpoint, event_type='compute.instance.create') == HANDLED
    assert plugin.calls == [] and reports == []


def test_a_stopped_endpoint_gives_new_actions_back():
    plugin = ScriptedPlugin()
    endpoint, reports = make_endpoint(plugin)
    endpoint.stop()

    assert deliver(endpoint) == REQUEUE
    assert plugin.calls == [] and reports == []


def test_stopping_during_a_backoff_gives_the_action_back_at_once():
    error = base.RetryableError('HTTP 500', status=500)
    endpoint, reports = make_endpoint(ScriptedPlugin(error), initial_delay=60.0)
    results = []
    thread = threading.Thread(target=lambda: results.append(deliver(endpoint)))
    thread.start()
    deadline = time.monotonic() + 5
    while not reports and time.monotonic() < deadline:
        time.sleep(0.01)

    endpoint.stop()
    thread.join(5)

    assert results == [REQUEUE]
    assert outcomes(reports) == [(1, 'retrying', 500)]
    assert endpoint.wait_idle(0)


def test_a_report_that_raises_does_not_change_the_outcome():
    def report(ctxt, alarm_id, result):
        raise RuntimeError('engine down')
    endpoint = notifier_service.ActionEndpoint(
        Plugins(ScriptedPlugin()), retry.RetryPolicy(), report)

    assert deliver(endpoint) == HANDLED


def test_reporter_sends_in_order_and_survives_a_failing_send():
    sent = []

    def send(ctxt, alarm_id, result):
        if result['attempt'] == 1:
            raise RuntimeError('engine down')
        sent.append(result['attempt'])
    reporter = notifier_service.ResultReporter(send)
    reporter.start()
    for attempt in (1, 2, 3):
        reporter.report(None, 'alarm-1', {'attempt': attempt, 'action_id': 'a'})
    reporter.stop()

    assert sent == [2, 3]


def test_reporter_never_blocks_the_caller_when_the_engine_is_stuck():
    release = threading.Event()
    reporter = notifier_service.ResultReporter(lambda *args: release.wait(10), max_queued=2)
    reporter.start()
    began = time.monotonic()
    for attempt in range(10):
        reporter.report(None, 'alarm-1', {'attempt': attempt, 'action_id': 'a'})
    assert time.monotonic() - began < 1.0
    release.set()
    reporter.stop()
