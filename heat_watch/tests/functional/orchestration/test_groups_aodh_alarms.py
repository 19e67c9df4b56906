"""OS::Aodh::Alarm / OS::Ceilometer::Alarm / OS::Aodh::CompositeAlarm on
heat-watch-all's services in this process: made in the watch engine with the
metric the REST API stores samples under, firing the HOT group's scaling
policy (alarm_url) until max_size; deleted with the stack."""

import datetime
import uuid

import pytest

from heat_watch.common import context, exceptions
from heat_watch.tests import clients, services
from heat_watch.tests.functional.orchestration import support
from heat_watch.watch import rpcapi as watch_rpcapi


def _template(alarm_type: str = 'OS::Aodh::Alarm') -> dict:
    return {'heat_template_version': '2021-04-16', 'resources': {
        'asg': {'type': 'OS::Heat::AutoScalingGroup', 'properties': {
            'min_size': 1, 'max_size': 3,
            'resource': {'type': 'OS::Nova::Server', 'properties': {
                'image': 'cirros', 'flavor': 'm1.tiny',
                'metadata': {'metering.stack': {'get_param': 'OS::stack_id'}}}}}},
        'up': {'type': 'OS::Heat::ScalingPolicy', 'properties': {
            'auto_scaling_group_id': {'get_resource': 'asg'},
            'adjustment_type': 'change_in_capacity', 'scaling_adjustment': 1}},
        'high': {'type': alarm_type, 'properties': {
            'meter_name': 'cpu_util', 'statistic': 'max', 'period': 2,
            'evaluation_periods': 1, 'threshold': 80, 'comparison_operator': 'gt',
            'severity': 'critical', 'description': 'CPU high',
            'alarm_actions': [{'get_attr': ['up', 'alarm_url']}],
            'matching_metadata': {'metadata.user_metadata.stack':
                                  {'get_param': 'OS::stack_id'}}}},
        'both': {'type': 'OS::Aodh::CompositeAlarm', 'properties': {
            'composite_rule': {'operator': 'or', 'rules': [
                {'meter_name': 'cpu_util', 'threshold': 95, 'statistic': 'max'},
                {'meter_name': 'mem_util', 'threshold': 95}]}}}},
        'outputs': {'size': {'value': {'get_attr': ['asg', 'current_size']}},
                    'alarm_id': {'value': {'get_resource': 'high'}},
                    'both_id': {'value': {'get_attr': ['both', 'alarm_id']}}}}


@pytest.fixture(scope='module')
def running(tmp_path_factory):
    state = str(tmp_path_factory.mktemp('aodh-alarm-state'))
    with services.deployment(state, **{'orchestration.compute_driver': 'fake',
                                       'watch_engine.evaluation_interval': 1}) as dep:
        yield dep


@pytest.mark.parametrize('alarm_type', ['OS::Aodh::Alarm', 'OS::Ceilometer::Alarm'])
def test_a_meter_alarm_scales_the_group_and_goes_with_the_stack(running, alarm_type):
    ctxt = context.RequestContext(project_id='aodh-%s' % uuid.uuid4().hex[:8], user_id='u')
    client = running.orchestrator_client()
    stack_id = support.created_stack(client, ctxt, 'aodh', _template(alarm_type))['id']

    def output(key):
        return client.show_output(ctxt, stack_id, key)['output_value']

    watch = watch_rpcapi.WatchEngineClient(running.conf)
    alarm = watch.get_alarm(ctxt, output('alarm_id')).definition
    assert alarm.rule.metric.namespace == 'openstack'
    assert alarm.rule.metric.metric_name == 'cpu_util'
    assert alarm.rule.metric.dimensions == (('stack', stack_id),)
    assert (alarm.rule.statistic, alarm.rule.comparison) == ('Maximum',
                                                             'GreaterThanThreshold')
    assert alarm.repeat_actions and alarm.severity == 'critical'
    assert '/resources/up/signal?' in alarm.actions['ALARM'][0]
    composite = watch.get_alarm(ctxt, output('both_id')).definition
    assert composite.rule.expression.startswith('(ALARM("') and ' OR ' in \
        composite.rule.expression

    creds = running.credentials(ctxt.project_id)
    cloudwatch = clients.boto3_client(running.endpoint, creds['access'], creds['secret'])

    def size_after_breach(wanted: int) -> bool:
        cloudwatch.put_metric_data(Namespace='openstack', MetricData=[{
            'MetricName': 'cpu_util', 'Value': 99.0,
            'Timestamp': datetime.datetime.now(datetime.UTC),
            'Dimensions': [{'Name': 'stack', 'Value': stack_id}]}])
        return output('size') == wanted

    # A sustained breach repeats the action: one step per period, to max_size.
    support.wait_for(lambda: size_after_breach(3), timeout=60)

    client.delete_stack(ctxt, stack_id)
    support.wait_for(lambda: not [s for s in client.list_stacks(ctxt) if s['id'] == stack_id])
    for gone in (alarm.id, composite.id):
        with pytest.raises(exceptions.AlarmNotFound):
            watch.get_alarm(ctxt, gone)
    assert watch.list_alarms(ctxt).items == []
