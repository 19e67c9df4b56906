"""Templates the tests of several directories create stacks from."""


def autoscaling_loop(namespace: str, period: int) -> dict:
    """An Auto Scaling group of 1 to 3 members, an "up" and a "down" policy,
    and a "high" (Maximum cpu > 80) and a "low" (< 20) alarm on the group's
    metric in ``namespace``, each over one ``period``; outputs size,
    group_name and up_url."""
    def alarm(comparison: str, threshold: float, policy: str) -> dict:
        return {'Type': 'AWS::CloudWatch::Alarm', 'Properties': {
            'MetricName': 'cpu', 'Namespace': namespace, 'Statistic': 'Maximum',
            'Period': period, 'EvaluationPeriods': 1, 'Threshold': threshold,
            'ComparisonOperator': comparison, 'AlarmActions': [{'Ref': policy}],
            'Dimensions': [{'Name': 'AutoScalingGroupName', 'Value': {'Ref': 'group'}}]}}

    def policy(adjustment: int) -> dict:
        return {'Type': 'AWS::AutoScaling::ScalingPolicy',
                'Properties': {'AutoScalingGroupName': {'Ref': 'group'},
                               'AdjustmentType': 'ChangeInCapacity',
                               'ScalingAdjustment': adjustment}}
    return {
        'AWSTemplateFormatVersion': '2010-09-09',
        'Resources': {
            'config': {'Type': 'AWS::AutoScaling::LaunchConfiguration',
                       'Properties': {'ImageId': 'cirros', 'InstanceType': 'm1.tiny'}},
            'group': {'Type': 'AWS::AutoScaling::AutoScalingGroup',
                      'Properties': {'LaunchConfigurationName': {'Ref': 'config'},
                                     'MinSize': 1, 'MaxSize': 3, 'Cooldown': 0}},
            'up': policy(1), 'down': policy(-1),
            'high': alarm('GreaterThanThreshold', 80, 'up'),
            'low': alarm('LessThanThreshold', 20, 'down')},
        'Outputs': {'size': {'Value': {'Fn::GetAtt': ['group', 'CurrentSize']}},
                    'group_name': {'Value': {'Ref': 'group'}},
                    'up_url': {'Value': {'Fn::GetAtt': ['up', 'AlarmUrl']}}}}
