"""OS::Heat::AutoScalingGroup with OS::Heat::ScalingPolicy on heat-watch-all's
services in this process (fake compute driver): the policy's alarm_url is a
pre-signed URL; POSTed over HTTP it resizes the group's nested stack within
its bounds, with each adjustment type; cooldown and bounds are events too;
signal_url is Heat's (unsigned) signal route."""

import urllib.parse
import uuid

import pytest
import requests

from heat_watch.common import context
from heat_watch.tests import services
from heat_watch.tests.functional.orchestration import support


def _template(adjustment_type: str, adjustment: float, cooldown: int = 0,
              min_step: int | None = None, desired: int = 2) -> dict:
    policy = {'auto_scaling_group_id': {'get_resource': 'asg'},
              'adjustment_type': adjustment_type, 'scaling_adjustment': adjustment,
              'cooldown': cooldown}
    if min_step is not None:
        policy['min_adjustment_step'] = min_step
    return {'heat_template_version': '2021-04-16', 'resources': {
        'asg': {'type': 'OS::Heat::AutoScalingGroup', 'properties': {
            'min_size': 1, 'max_size': 5, 'desired_capacity': desired,
            'resource': {'type': 'OS::Nova::Server',
                         'properties': {'image': 'cirros', 'flavor': 'm1.tiny'}}}},
        'policy': {'type': 'OS::Heat::ScalingPolicy', 'properties': policy}},
        'outputs': {'size': {'value': {'get_attr': ['asg', 'current_size']}},
                    'alarm_url': {'value': {'get_attr': ['policy', 'alarm_url']}},
                    'signal_url': {'value': {'get_attr': ['policy', 'signal_url']}},
                    'refs': {'value': {'get_attr': ['asg', 'refs']}}}}


@pytest.fixture(scope='module')
def running(tmp_path_factory):
    state = str(tmp_path_factory.mktemp('groups-state'))
    with services.deployment(state, **{'orchestration.compute_driver': 'fake'}) as dep:
        yield dep


class _Stack:
    def __init__(self, running, body: dict):
        self.ctxt = context.RequestContext(project_id='grp-%s' % uuid.uuid4().hex[:8],
                                           user_id='u')
        self.client = running.orchestrator_client()
        self.id = support.created_stack(self.client, self.ctxt, 'g', body)['id']
        self.url = self.output('alarm_url')

    def output(self, key: str):
        return self.client.show_output(self.ctxt, self.id, key)['output_value']

    def signal(self) -> None:
        answer = requests.post(self.url, json={'alarm_name': 'cpu'}, timeout=10)
        assert answer.status_code == 200, answer.text

    def reasons(self) -> list[str]:
        return [e['resource_status_reason'] for e in self.client.list_events(
            self.ctxt, self.id, 'policy') if e['resource_action'] == 'SIGNAL']

    def signalled(self, count: int) -> list[str]:
        self.signal()
        return support.wait_for(lambda: (lambda r: r if len(r) >= count else None)(
            self.reasons()))


def test_change_in_capacity_grows_to_max_size_and_no_further(running):
    stack = _Stack(running, _template('change_in_capacity', 2))
    assert stack.output('size') == 2 and len(stack.output('refs')) == 2
    assert 'from 2 to 4' in stack.signalled(1)[-1]
    assert stack.output('size') == 4
    assert 'from 4 to 5' in stack.signalled(2)[-1]  # clamped, as AWS does
    assert 'at its bound' in stack.signalled(3)[-1]
    assert stack.output('size') == 5
    servers = stack.output('refs')
    assert len(servers) == 5 and len(set(servers)) == 5


def test_exact_capacity_and_percent_change_with_min_step(running):
    exact = _Stack(running, _template('exact_capacity', 1, desired=3))
    assert 'down from 3 to 1' in exact.signalled(1)[-1]
    assert exact.output('size') == 1
    percent = _Stack(running, _template('percent_change_in_capacity', 10, min_step=2))
    # 10% of 2 is 0.2: rounded to 1 step, raised to min_adjustment_step 2.
    assert 'from 2 to 4' in percent.signalled(1)[-1]


def test_a_signal_inside_the_cooldown_is_an_event_and_changes_nothing(running):
    stack = _Stack(running, _template('change_in_capacity', 1, cooldown=3600))
    assert 'from 2 to 3' in stack.signalled(1)[-1]
    assert 'cooldown' in stack.signalled(2)[-1]
    assert stack.output('size') == 3


def test_signal_url_is_heats_unsigned_route_and_alarm_url_is_signed(running):
    stack = _Stack(running, _template('change_in_capacity', 1))
    signal_url = stack.output('signal_url')
    assert urllib.parse.urlsplit(signal_url).path == urllib.parse.urlsplit(stack.url).path
    assert '?' not in signal_url and 'Signature=' in stack.url
    assert signal_url.startswith(running.rest_endpoint + '/v1/')


def test_concurrent_signals_never_overlap(running):
    import concurrent.futures
    import re
    stack = _Stack(running, _template('change_in_capacity', 1, desired=1))
    with concurrent.futures.ThreadPoolExecutor(6) as pool:
        answers = list(pool.map(lambda _: requests.post(stack.url, json={}, timeout=10),
                                range(6)))
    assert all(a.status_code == 200 for a in answers), [a.text for a in answers]
    reasons = support.wait_for(lambda: (lambda r: r if len(r) == 6 else None)(
        stack.reasons()))
    steps = [tuple(map(int, m.groups())) for m in
             (re.search(r'from (\d+) to (\d+)', r) for r in reasons) if m]
    # Each adjustment starts where the previous one ended: none saw a stale size.
    assert steps and all(after == before + 1 for before, after in steps), reasons
    assert [b for b, _ in steps] == list(range(1, 1 + len(steps))), reasons
    ignored = [r for r in reasons if 'ignored' in r or 'bound' in r]
    assert len(steps) + len(ignored) == 6, reasons
    assert stack.output('size') == 1 + len(steps)
