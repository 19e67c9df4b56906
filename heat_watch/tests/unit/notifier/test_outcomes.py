"""The notifier reports delivery outcomes through OutcomeReporter."""

import subprocess
import sys

from heat_watch.common import context as hw_context
from heat_watch.notifier import base, outcomes, retry
from heat_watch.notifier import service as notifier_service


class RecordingReporter:
    def __init__(self):
        self.outcomes = []

    def report(self, ctxt, alarm_id, outcome):
        self.outcomes.append((alarm_id, outcome))


class FlakyPlugin:
    def __init__(self):
        self.calls = 0

    def notify(self, action, payload):
        self.calls += 1
        if self.calls == 1:
            raise base.RetryableError('connection refused')
        return 204


class Plugins:
    def __init__(self, plugin):
        self.plugin = plugin

    def get(self, scheme):
        return self.plugin


def test_every_attempt_reaches_the_reporter_with_its_outcome_and_a_redacted_url():
    reporter = RecordingReporter()
    endpoint = notifier_service.ActionEndpoint(
        Plugins(FlakyPlugin()), retry.RetryPolicy(max_attempts=3, initial_delay=0.0,
                                                  max_delay=0.0), reporter.report)
    payload = {'action': 'http://h/hook?Signature=s3cret', 'action_id': 'act-1',
               'alarm_id': 'alarm-1', 'current': 'ALARM'}
    assert endpoint.info(hw_context.RequestContext(project_id='p1'), 'engine',
                         'alarm.action', payload, {}) == notifier_service.HANDLED
    assert [(a, o['outcome'], o['attempt'], o['status']) for a, o in reporter.outcomes] == [
        ('alarm-1', 'retrying', 1, None), ('alarm-1', 'delivered', 2, 204)]
    assert all('s3cret' not in o['url'] for _, o in reporter.outcomes)


def test_a_plain_function_can_stand_in_for_a_reporter():
    seen = []
    reporter = outcomes.FunctionReporter(lambda ctxt, alarm_id, outcome: seen.append(alarm_id))
    reporter.report(None, 'alarm-1', {'outcome': 'delivered'})
    assert seen == ['alarm-1']


def test_the_notifier_service_does_not_import_the_watch_engine():
    code = ('import sys; import heat_watch.notifier.service; '
            'print(sorted(m for m in sys.modules if m.startswith("heat_watch.watch")))')
    out = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == '[]'
