"""Units heat-cfntools sends, through both protocols: ``Counter`` is stored,
filtered and alarmed on as ``Count``; unit names ignore case."""

import datetime
import uuid

from heat_watch.tests.functional import support

HOUR = datetime.timedelta(hours=1)


def test_counter_datum_reads_back_as_count_with_either_filter(lenient, namespace):
    base = support.hour_start()
    lenient.put_metric_data(Namespace=namespace, MetricData=[
        {'MetricName': 'Heartbeat', 'Value': 1.0, 'Unit': 'Counter', 'Timestamp': base},
        {'MetricName': 'Heartbeat', 'Value': 1.0, 'Unit': 'count', 'Timestamp': base}])
    for unit in ('Count', 'Counter'):
        [point] = support.statistics(lenient, namespace, 'Heartbeat', base, base + HOUR,
                                     period=3600, Unit=unit)
        assert (point['SampleCount'], point['Unit']) == (2.0, 'Count')
    assert support.statistics(lenient, namespace, 'Heartbeat', base, base + HOUR,
                              period=3600, Unit='Percent') == []


def test_get_metric_data_takes_counter_as_count(lenient, namespace):
    base = support.hour_start()
    lenient.put_metric_data(Namespace=namespace, MetricData=[
        {'MetricName': 'Failures', 'Value': 3.0, 'Unit': 'Counter', 'Timestamp': base}])
    answer = lenient.get_metric_data(StartTime=base, EndTime=base + HOUR, MetricDataQueries=[
        {'Id': 'f', 'MetricStat': {'Metric': {'Namespace': namespace,
                                              'MetricName': 'Failures'},
                                   'Period': 3600, 'Stat': 'Sum', 'Unit': 'Counter'}}])
    [series] = answer['MetricDataResults']
    assert series['Values'] == [3.0]


def test_alarm_on_counter_is_an_alarm_on_count(lenient, namespace):
    name = 'heartbeat-%s' % uuid.uuid4().hex[:8]
    lenient.put_metric_alarm(AlarmName=name, Namespace=namespace, MetricName='Heartbeat',
                             Statistic='SampleCount', Period=60, EvaluationPeriods=1,
                             Threshold=1.0, ComparisonOperator='LessThanThreshold',
                             Unit='Counter')
    try:
        [alarm] = lenient.describe_alarms(AlarmNames=[name])['MetricAlarms']
        assert alarm['Unit'] == 'Count'
    finally:
        lenient.delete_alarms(AlarmNames=[name])


def test_unknown_unit_is_still_refused(lenient, namespace):
    code, status, message = support.aws_error(
        lenient.put_metric_data, Namespace=namespace,
        MetricData=[{'MetricName': 'm', 'Value': 1.0, 'Unit': 'Counters'}])
    assert (code, status) == ('InvalidParameterValue', 400)
    assert 'MetricData.member.1.Unit' in message
