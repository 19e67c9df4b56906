"""One store, two dialects: an alarm made over /v2/alarms is a CloudWatch
alarm (DescribeAlarms) and the reverse; a REST threshold alarm on an
autoscaling group is evaluated on data posted through either API."""

import datetime
import time

from heat_watch.tests.functional.api.conftest import RestClient, query, unique
from heat_watch.tests.functional.api.test_alarms import create

PERIOD = 10
GROUP_FIELD = 'metadata.user_metadata.AutoScalingGroupName'


def _last_complete_period() -> datetime.datetime:
    now = time.time()
    return datetime.datetime.fromtimestamp((now // PERIOD) * PERIOD - PERIOD + 1,
                                           datetime.UTC)


def _wait_next_period() -> None:
    now = time.time()
    time.sleep((now // PERIOD + 1) * PERIOD - now + 0.2)


def _wait_state(rest: RestClient, alarm_id: str, state: str, timeout: float = 25.0) -> None:
    deadline = time.monotonic() + timeout
    while rest.get('/v2/alarms/%s/state' % alarm_id).json() != state:
        assert time.monotonic() < deadline, 'alarm %s never reached %s' % (alarm_id, state)
        time.sleep(0.1)


def test_a_rest_alarm_is_a_cloudwatch_alarm_and_back(tenant_a, rest_endpoint):
    rest = RestClient(rest_endpoint, tenant_a.project_id)
    name, meter, group = unique('rest-made'), unique('cpu'), unique('asg')
    create(rest, {'name': name, 'type': 'threshold', 'severity': 'critical',
                  'ok_actions': ['log://ok'],
                  'threshold_rule': {'meter_name': meter, 'comparison_operator': 'ge',
                                     'threshold': 5.0, 'statistic': 'max', 'period': 300,
                                     'evaluation_periods': 3,
                                     'query': [{'field': GROUP_FIELD, 'value': group}]}})
    alarm = tenant_a.json.describe_alarms(AlarmNames=[name])['MetricAlarms'][0]
    assert (alarm['Namespace'], alarm['MetricName'], alarm['Dimensions'], alarm['Statistic'],
            alarm['ComparisonOperator'], alarm['Period'], alarm['EvaluationPeriods'],
            alarm['OKActions']) == (
        'openstack', meter, [{'Name': 'AutoScalingGroupName', 'Value': group}], 'Maximum',
        'GreaterThanOrEqualToThreshold', 300, 3, ['log://ok'])

    cw_name = unique('cw-made')
    tenant_a.json.put_metric_alarm(
        AlarmName=cw_name, Namespace='AWS/EC2', MetricName='CPUUtilization',
        Dimensions=[{'Name': 'InstanceId', 'Value': 'i-1'}], ExtendedStatistic='p90',
        Period=60, EvaluationPeriods=2, DatapointsToAlarm=1, Threshold=80.0,
        ComparisonOperator='LessThanThreshold', TreatMissingData='breaching')
    seen = rest.get('/v2/alarms', params=query(name=cw_name)).json()
    assert len(seen) == 1
    rule = seen[0]['threshold_rule']
    assert (rule['meter_name'], rule['statistic'], rule['comparison_operator'],
            rule['threshold']) == ('CPUUtilization', 'p90', 'lt', 80.0)
    assert {'field': 'source', 'op': 'eq', 'value': 'AWS/EC2', 'type': 'string'} in \
        rule['query']
    # A PUT of what GET returned changes only what the REST body says.
    changed = dict(seen[0], threshold_rule=dict(rule, threshold=70.0))
    assert rest.request('PUT', '/v2/alarms/%s' % seen[0]['alarm_id'],
                        json=changed).status_code == 200
    again = tenant_a.json.describe_alarms(AlarmNames=[cw_name])['MetricAlarms'][0]
    assert (again['Threshold'], again['ExtendedStatistic'], again['DatapointsToAlarm'],
            again['TreatMissingData']) == (70.0, 'p90', 1, 'breaching')
    rest.request('DELETE', '/v2/alarms/%s' % seen[0]['alarm_id'])
    assert tenant_a.json.describe_alarms(AlarmNames=[cw_name])['MetricAlarms'] == []


def test_a_group_alarm_is_evaluated_on_samples_of_both_apis(tenant_a, rest_endpoint):
    rest = RestClient(rest_endpoint, tenant_a.project_id)
    meter, group = unique('cpu'), unique('asg')
    made = create(rest, {'name': unique('group-high'), 'type': 'threshold',
                         'threshold_rule': {'meter_name': meter, 'comparison_operator': 'gt',
                                            'threshold': 50.0, 'statistic': 'max',
                                            'period': PERIOD, 'evaluation_periods': 1,
                                            'query': [{'field': GROUP_FIELD,
                                                       'value': group}]}})
    stamp = _last_complete_period().replace(tzinfo=None).isoformat()
    rest.post_samples(meter, [{'counter_type': 'gauge', 'counter_unit': '%',
                               'counter_volume': 90.0, 'resource_id': 'vm-1',
                               'timestamp': stamp,
                               'resource_metadata': {'metering.AutoScalingGroupName': group}}])
    _wait_state(rest, made['alarm_id'], 'alarm')
    _wait_next_period()
    tenant_a.json.put_metric_data(Namespace='openstack', MetricData=[{
        'MetricName': meter, 'Dimensions': [{'Name': 'AutoScalingGroupName', 'Value': group}],
        'Value': 10.0, 'Unit': 'Percent', 'Timestamp': _last_complete_period()}])
    _wait_state(rest, made['alarm_id'], 'ok')
    history = rest.get('/v2/alarms/%s/history' % made['alarm_id']).json()
    assert [h['type'] for h in history] == ['state transition', 'state transition',
                                            'creation']
