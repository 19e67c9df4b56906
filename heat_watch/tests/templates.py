"""Templates the tests (and the autoscaling benchmark) create stacks from,
and the CloudFormation pieces they are made of."""

from typing import Any

CFN = '2010-09-09'


def launch_config(**properties: Any) -> dict:
    """An AWS::AutoScaling::LaunchConfiguration of image cirros, m1.tiny."""
    return {'Type': 'AWS::AutoScaling::LaunchConfiguration',
            'Properties': {'ImageId': 'cirros', 'InstanceType': 'm1.tiny', **properties}}


def scaling_group(min_size: Any = 1, max_size: Any = 3, cooldown: Any = 0,
                  **properties: Any) -> dict:
    """An AWS::AutoScaling::AutoScalingGroup of the launch config ``config``."""
    return {'Type': 'AWS::AutoScaling::AutoScalingGroup',
            'Properties': {'LaunchConfigurationName': {'Ref': 'config'},
                           'MinSize': min_size, 'MaxSize': max_size, 'Cooldown': cooldown,
                           **properties}}


def scaling_policy(adjustment: int, kind: str = 'ChangeInCapacity',
                   **properties: Any) -> dict:
    """An AWS::AutoScaling::ScalingPolicy of the group ``group``."""
    return {'Type': 'AWS::AutoScaling::ScalingPolicy',
            'Properties': {'AutoScalingGroupName': {'Ref': 'group'}, 'AdjustmentType': kind,
                           'ScalingAdjustment': adjustment, **properties}}


def cpu_alarm(namespace: str, period: int, comparison: str, threshold: float,
              policy: str) -> dict:
    """An AWS::CloudWatch::Alarm on the Maximum of the group's ``cpu`` in
    ``namespace`` over one ``period``, running ``policy``."""
    return {'Type': 'AWS::CloudWatch::Alarm', 'Properties': {
        'MetricName': 'cpu', 'Namespace': namespace, 'Statistic': 'Maximum',
        'Period': period, 'EvaluationPeriods': 1, 'Threshold': threshold,
        'ComparisonOperator': comparison, 'AlarmActions': [{'Ref': policy}],
        'Dimensions': [{'Name': 'AutoScalingGroupName', 'Value': {'Ref': 'group'}}]}}


def output(value: Any) -> dict:
    """One output of ``value``."""
    return {'Value': value}


def autoscaling_loop(namespace: str, period: int) -> dict:
    """An Auto Scaling group of 1 to 3 members, an "up" and a "down" policy,
    and a "high" (Maximum cpu > 80) and a "low" (< 20) alarm on the group's
    metric in ``namespace``, each over one ``period``; outputs size,
    group_name and up_url."""
    return {
        'AWSTemplateFormatVersion': CFN,
        'Resources': {
            'config': launch_config(), 'group': scaling_group(),
            'up': scaling_policy(1), 'down': scaling_policy(-1),
            'high': cpu_alarm(namespace, period, 'GreaterThanThreshold', 80, 'up'),
            'low': cpu_alarm(namespace, period, 'LessThanThreshold', 20, 'down')},
        'Outputs': {'size': output({'Fn::GetAtt': ['group', 'CurrentSize']}),
                    'group_name': output({'Ref': 'group'}),
                    'up_url': output({'Fn::GetAtt': ['up', 'AlarmUrl']})}}
