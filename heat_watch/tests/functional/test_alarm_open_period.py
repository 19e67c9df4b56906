"""Reaction starts with the datapoint: through the CloudWatch API (boto3), a
60 s Maximum alarm goes to ALARM within about a second of the breaching datum,
long before its period closes; an Average alarm waits for the close.

The deployment's sweep runs every 10 minutes here, so only the evaluation the
datum's arrival triggers can move the alarm within the test's time."""

import datetime
import json
import time
import uuid

import pytest

from heat_watch.tests import clients, services

PERIOD = 60
REACTION_LIMIT = 1.5  # seconds; the target is "within ~1 s"


@pytest.fixture(scope='module')
def cloudwatch(tmp_path_factory):
    state = tmp_path_factory.mktemp('open-period')
    with services.deployment(str(state), **{'watch_engine.evaluation_interval': 600}) \
            as running:
        creds = running.credentials('project-open')
        yield clients.boto3_client(running.endpoint, creds['access'], creds['secret'])


def _alarm(client, statistic: str) -> tuple[str, str]:
    name, namespace = 'open-%s' % uuid.uuid4().hex[:8], 'Open/%s' % uuid.uuid4().hex[:8]
    client.put_metric_alarm(
        AlarmName=name, Namespace=namespace, MetricName='cpu', Statistic=statistic,
        Dimensions=[{'Name': 'AutoScalingGroupName', 'Value': 'web'}],
        Period=PERIOD, EvaluationPeriods=1, Threshold=80.0,
        ComparisonOperator='GreaterThanThreshold')
    return name, namespace


def _put(client, namespace: str, value: float) -> None:
    client.put_metric_data(Namespace=namespace, MetricData=[{
        'MetricName': 'cpu', 'Value': value,
        'Dimensions': [{'Name': 'AutoScalingGroupName', 'Value': 'web'}]}])


def _state(client, name: str) -> dict:
    return client.describe_alarms(AlarmNames=[name])['MetricAlarms'][0]


def _away_from_the_period_end() -> None:
    """Leave at least 10 s of the period open, so that its close cannot decide."""
    left = PERIOD - time.time() % PERIOD
    if left < 10:
        time.sleep(left + 0.5)


def _wait_for(client, name: str, state: str, timeout: float) -> float | None:
    """Seconds until the alarm reached ``state``, or None within ``timeout``."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if _state(client, name)['StateValue'] == state:
            return time.monotonic() - started
        time.sleep(0.02)
    return None


def test_a_maximum_alarm_goes_to_alarm_within_a_second_of_the_breaching_datum(cloudwatch):
    name, namespace = _alarm(cloudwatch, 'Maximum')
    _away_from_the_period_end()
    _put(cloudwatch, namespace, 20.0)  # the open period, not breaching yet
    assert _wait_for(cloudwatch, name, 'ALARM', 1.0) is None
    opened_at = time.time()
    started = time.monotonic()
    _put(cloudwatch, namespace, 95.0)
    waited = _wait_for(cloudwatch, name, 'ALARM', 5.0)
    assert waited is not None, 'the breaching datum did not move the alarm'
    reaction = time.monotonic() - started
    assert reaction < REACTION_LIMIT, reaction
    alarm = _state(cloudwatch, name)
    assert 'greater than the threshold (80.0)' in alarm['StateReason']
    # The datapoint that decided is the period still open when the datum came.
    evaluated = json.loads(alarm['StateReasonData'])['evaluatedDatapoints']
    open_start = datetime.datetime.fromtimestamp(opened_at // PERIOD * PERIOD, datetime.UTC)
    assert [(p['timestamp'], p['value']) for p in evaluated] == [
        (open_start.strftime('%Y-%m-%dT%H:%M:%S.000+0000'), 95.0)]


def test_an_average_alarm_waits_for_its_period_to_close(cloudwatch):
    name, namespace = _alarm(cloudwatch, 'Average')
    _away_from_the_period_end()
    _put(cloudwatch, namespace, 95.0)
    # A later 0 could still pull the average under the threshold: no decision yet.
    assert _wait_for(cloudwatch, name, 'ALARM', 2.0) is None
    assert _state(cloudwatch, name)['StateValue'] == 'INSUFFICIENT_DATA'
