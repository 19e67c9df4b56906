"""Whole templates as users write them: an autoscaled web tier in CFN, a
HOT server behind a provider template with an environment, and the
templates of Heat's API conformance tests."""

from heat_watch.orchestration import template as tpl
from heat_watch.tests.unit.orchestration.template.helpers import IDENTITY, Stack

AUTOSCALING_CFN = '''
AWSTemplateFormatVersion: "2010-09-09"
Description: A web tier that grows with its CPU
Parameters:
  KeyName: {Type: String, Default: ops}
  InstanceType:
    Type: String
    Default: m1.small
    AllowedValues: [m1.small, m1.medium]
    ConstraintDescription: must be a known flavor
  Environment: {Type: String, Default: test, AllowedValues: [test, prod]}
Mappings:
  Sizes:
    test: {Min: "1", Max: "2"}
    prod: {Min: "2", Max: "10"}
Conditions:
  IsProd: {"Fn::Equals": [{Ref: Environment}, prod]}
Resources:
  LaunchConfig:
    Type: AWS::AutoScaling::LaunchConfiguration
    Metadata:
      AWS::CloudFormation::Init:
        config:
          files:
            /etc/cfn/cfn-hup.conf:
              content: {"Fn::Join": ["", ["[main]\\nstack=", {Ref: "AWS::StackId"}, "\\n"]]}
    Properties:
      ImageId: fedora
      InstanceType: {Ref: InstanceType}
      KeyName: {Ref: KeyName}
      UserData:
        "Fn::Base64":
          "Fn::Join": ["", ["#!/bin/sh\\n", "cfn-init -s ", {Ref: "AWS::StackName"},
                            " -r LaunchConfig --region ", {Ref: "AWS::Region"}, "\\n"]]
  Group:
    Type: AWS::AutoScaling::AutoScalingGroup
    Properties:
      AvailabilityZones: {"Fn::GetAZs": ""}
      LaunchConfigurationName: {Ref: LaunchConfig}
      MinSize: {"Fn::FindInMap": [Sizes, {Ref: Environment}, Min]}
      MaxSize: {"Fn::FindInMap": [Sizes, {Ref: Environment}, Max]}
  ScaleUp:
    Type: AWS::AutoScaling::ScalingPolicy
    Properties:
      AdjustmentType: ChangeInCapacity
      AutoScalingGroupName: {Ref: Group}
      ScalingAdjustment: "1"
      Cooldown: {"Fn::If": [IsProd, "60", "300"]}
  CPUAlarmHigh:
    Type: AWS::CloudWatch::Alarm
    Properties:
      MetricName: CPUUtilization
      Namespace: system/linux
      Statistic: Average
      Period: "60"
      EvaluationPeriods: "1"
      Threshold: "50"
      ComparisonOperator: GreaterThanThreshold
      AlarmActions: [{Ref: ScaleUp}]
      Dimensions: [{Name: AutoScalingGroupName, Value: {Ref: Group}}]
  Dashboard:
    Type: AWS::CloudWatch::Dashboard
    Condition: IsProd
Outputs:
  PolicyUrl:
    Description: the scale-up webhook
    Value: {"Fn::GetAtt": [ScaleUp, AlarmUrl]}
  Zones:
    Value: {"Fn::Join": [",", {"Fn::GetAZs": ""}]}
'''

KNOWN_AWS = {'AWS::AutoScaling::LaunchConfiguration', 'AWS::AutoScaling::AutoScalingGroup',
             'AWS::AutoScaling::ScalingPolicy', 'AWS::CloudWatch::Alarm',
             'AWS::CloudWatch::Dashboard'}.__contains__


def test_autoscaling_cfn_template_binds_validates_and_resolves():
    template = tpl.parse(AUTOSCALING_CFN)
    assert template.parameter_schemas()['InstanceType']['AllowedValues'] == [
        'm1.small', 'm1.medium']
    bound = template.bind({}, None, IDENTITY)
    bound.validate(KNOWN_AWS)
    assert 'Dashboard' not in bound.resources()
    assert bound.creation_order() == [['LaunchConfig'], ['Group'], ['ScaleUp'],
                                      ['CPUAlarmHigh']]
    stack = Stack({'ScaleUp': {'AlarmUrl': 'http://hook/1'}}, zones=['az1', 'az2'])
    resources = bound.resources()
    group = resources['Group'].resolved_properties(stack)
    assert group == {'AvailabilityZones': ['az1', 'az2'],
                     'LaunchConfigurationName': 'LaunchConfig-id',
                     'MinSize': '1', 'MaxSize': '2'}
    config = resources['LaunchConfig']
    assert config.resolved_properties(stack)['UserData'] == (
        '#!/bin/sh\ncfn-init -s teststack -r LaunchConfig --region RegionOne\n')
    assert config.resolved_metadata(stack)['AWS::CloudFormation::Init']['config'][
        'files']['/etc/cfn/cfn-hup.conf']['content'] == (
        '[main]\nstack=arn:openstack:heat::proj1:stacks/teststack/5a5b-1d\n')
    assert resources['ScaleUp'].resolved_properties(stack)['Cooldown'] == '300'
    assert resources['CPUAlarmHigh'].depends_on == {'ScaleUp', 'Group'}
    outputs = bound.outputs()
    assert outputs['PolicyUrl'].resolve(stack) == 'http://hook/1'
    assert outputs['Zones'].resolve(stack) == 'az1,az2'
    prod = template.bind({'Environment': 'prod'}, None, IDENTITY)
    assert 'Dashboard' in prod.resources()
    assert prod.resources()['Group'].resolved_properties(stack)['MaxSize'] == '10'


SERVER_HOT = '''
heat_template_version: rocky
description: Servers from a provider template
parameter_groups:
  - label: Sizing
    parameters: [count, flavor]
parameters:
  count: {type: number, default: 2, constraints: [{range: {min: 1, max: 5}}]}
  flavor: {type: string, default: small}
  admin_pass: {type: string, hidden: true}
  ports: {type: comma_delimited_list, default: "22,80"}
resources:
  secgroup:
    type: OS::Neutron::SecurityGroup
    properties:
      rules:
        repeat:
          for_each: {<%port%>: {get_param: ports}}
          template: {protocol: tcp, port_range_min: <%port%>, port_range_max: <%port%>}
  server:
    type: My::Server
    properties:
      flavor: {get_param: flavor}
      password: {get_param: admin_pass}
      security_group: {get_resource: secgroup}
      user_data:
        str_replace:
          template: {get_file: boot.sh}
          params: {$GROUP: {get_attr: [secgroup, name]}}
outputs:
  address:
    value: {get_attr: [server, first_address]}
'''

SERVER_ENV = '''
parameters:
  admin_pass: s3cret-pass
parameter_defaults:
  flavor: large
resource_registry:
  My::Server: server.yaml
'''

SERVER_PROVIDER = '''
heat_template_version: 2018-08-31
parameters:
  flavor: {type: string}
  password: {type: string, hidden: true}
  security_group: {type: string}
  user_data: {type: string, default: ""}
resources:
  server:
    type: OS::Nova::Server
    properties:
      flavor: {get_param: flavor}
      admin_pass: {get_param: password}
      security_groups: [{get_param: security_group}]
      user_data: {get_param: user_data}
outputs:
  first_address: {value: {get_attr: [server, first_address]}}
'''

FILES = {'boot.sh': '#!/bin/sh\necho $GROUP\n', 'server.yaml': SERVER_PROVIDER}


def test_hot_template_with_an_environment_and_a_provider_template():
    template = tpl.parse(SERVER_HOT, FILES)
    assert template.parameter_groups() == [{'label': 'Sizing',
                                            'parameters': ['count', 'flavor']}]
    env = tpl.parse_environment(SERVER_ENV)
    bound = template.bind({}, env, IDENTITY)
    bound.validate({'OS::Neutron::SecurityGroup'}.__contains__)
    assert env.resolve_type('My::Server', 'server') == 'server.yaml'
    assert bound.shown_parameters()['admin_pass'] == '******'
    stack = Stack({'secgroup': {'name': 'sg-1'}, 'server': {'first_address': '10.0.0.9'}})
    resources = bound.resources()
    assert resources['secgroup'].resolved_properties(stack)['rules'] == [
        {'protocol': 'tcp', 'port_range_min': '22', 'port_range_max': '22'},
        {'protocol': 'tcp', 'port_range_min': '80', 'port_range_max': '80'}]
    assert resources['server'].resolved_properties(stack) == {
        'flavor': 'large', 'password': 's3cret-pass', 'security_group': 'secgroup-id',
        'user_data': '#!/bin/sh\necho sg-1\n'}
    assert resources['server'].depends_on == {'secgroup'}
    assert bound.outputs()['address'].resolve(stack) == '10.0.0.9'
    # the engine creates the provider's nested stack from the resolved properties
    nested = tpl.parse(FILES['server.yaml'], FILES).bind(
        resources['server'].resolved_properties(stack), env.for_child(), IDENTITY)
    nested.validate({'OS::Nova::Server'}.__contains__)
    assert nested.resources()['server'].properties['user_data'] == '#!/bin/sh\necho sg-1\n'


CONFORMANCE_HOT = {
    'heat_template_version': '2016-04-08',
    'parameters': {'test_val': {'type': 'string'}},
    'resources': {'test': {'type': 'OS::Heat::TestResource',
                           'properties': {'value': {'get_param': 'test_val'}}}},
    'outputs': {'output_value': {'value': {'get_attr': ['test', 'output']}}},
}


def test_conformance_template_validates_without_values_and_binds_with_the_environment():
    template = tpl.parse(CONFORMANCE_HOT)
    unbound = template.bind({}, None, IDENTITY, require_values=False)
    unbound.validate({'OS::Heat::TestResource'}.__contains__)
    assert template.parameter_schemas() == {'test_val': {
        'Type': 'String', 'Description': '', 'NoEcho': 'false', 'Label': 'test_val'}}
    bound = template.bind({}, tpl.parse_environment({'parameters': {'test_val': 'test'}}),
                          IDENTITY)
    stack = Stack({'test': {'output': 'test'}})
    assert bound.resources()['test'].resolved_properties(stack) == {'value': 'test'}
    assert bound.outputs()['output_value'].resolve(stack) == 'test'
    get_file = [f for f in tpl.functions('heat_template_version.2016-04-08')
                if f['functions'] == 'get_file']
    assert get_file == [{'functions': 'get_file',
                         'description': 'A function for including a file inline.'}]
