"""Stacks through the orchestrator's RPC client on heat-watch-all's services
in this process: create with parameters, show with outputs, update, nested
and provider templates, events, errors crossing RPC, delete; and a server
of the local compute driver running its user-data script."""

import json
import os
import time
import uuid

import pytest

from heat_watch.common import context, exceptions

CHILD = {'heat_template_version': '2021-04-16',
         'parameters': {'word': {'type': 'string'}},
         'resources': {'inner': {'type': 'OS::Heat::TestResource',
                                 'properties': {'value': {'get_param': 'word'}}}},
         'outputs': {'echo': {'value': {'get_attr': ['inner', 'output']}}}}


@pytest.fixture(scope='module')
def client(deployment):
    return deployment.orchestrator_client()


@pytest.fixture
def ctxt():
    return context.RequestContext(project_id='orch-%s' % uuid.uuid4().hex[:8], user_id='u')


def wait(client, ctxt, ref, timeout=30.0):
    deadline = time.monotonic() + timeout
    while True:
        shown = client.show_stack(ctxt, ref)
        if shown['status'] != 'IN_PROGRESS':
            return shown
        assert time.monotonic() < deadline, shown
        time.sleep(0.05)


def test_stack_lifecycle_with_parameters_outputs_update_and_events(client, ctxt):
    template = {
        'heat_template_version': '2021-04-16',
        'parameters': {'greeting': {'type': 'string', 'default': 'hello'}},
        'resources': {
            'word': {'type': 'OS::Heat::TestResource',
                     'properties': {'value': {'get_param': 'greeting'}}},
            'nested': {'type': 'OS::Heat::Stack', 'properties': {
                'template': json.dumps(CHILD),
                'parameters': {'word': {'get_attr': ['word', 'output']}}}},
            'provided': {'type': 'My::Echo', 'properties': {'word': 'provider'}}},
        'outputs': {'nested_echo': {'value': {'get_attr': ['nested', 'outputs', 'echo']}},
                    'provided_echo': {'value': {'get_attr': ['provided', 'echo']}}}}
    identity = client.create_stack(
        ctxt, 'life', template, params={'greeting': 'bonjour'},
        files={'echo.yaml': json.dumps(CHILD)},
        environment={'resource_registry': {'My::Echo': 'echo.yaml'}})
    assert client.identify_stack(ctxt, 'life') == identity
    shown = wait(client, ctxt, identity['stack_id'])
    assert shown['stack_status'] == 'CREATE_COMPLETE', shown['stack_status_reason']
    outputs = {o['output_key']: o['output_value'] for o in shown['outputs']}
    assert outputs == {'nested_echo': 'bonjour', 'provided_echo': 'provider'}
    assert client.show_output(ctxt, 'life', 'nested_echo')['output_value'] == 'bonjour'
    assert [s['stack_name'] for s in client.list_stacks(ctxt)] == ['life']
    assert len(client.list_stacks(ctxt, show_nested=True)) == 3

    client.update_stack(ctxt, 'life', params={'greeting': 'hola'}, patch=True)
    shown = wait(client, ctxt, 'life')
    assert shown['stack_status'] == 'UPDATE_COMPLETE', shown['stack_status_reason']
    assert {o['output_key']: o['output_value'] for o in shown['outputs']}['nested_echo'] \
        == 'hola'
    events = client.list_events(ctxt, 'life', resource_name='word')
    assert [(e['resource_action'], e['resource_status']) for e in events] == [
        ('CREATE', 'IN_PROGRESS'), ('CREATE', 'COMPLETE'),
        ('UPDATE', 'IN_PROGRESS'), ('UPDATE', 'COMPLETE')]
    assert events[-1]['resource_properties']['value'] == 'hola'

    client.delete_stack(ctxt, identity['stack_id'])
    assert wait(client, ctxt, identity['stack_id'])['stack_status'] == 'DELETE_COMPLETE'
    assert client.list_stacks(ctxt, show_nested=True) == []


def test_errors_cross_rpc_with_their_class(client, ctxt):
    with pytest.raises(exceptions.StackNotFound):
        client.show_stack(ctxt, 'missing')
    with pytest.raises(exceptions.InvalidTemplate) as raised:
        client.create_stack(ctxt, 'bad', {'heat_template_version': '2021-04-16',
                                          'resources': {'r': {'type': 'No::Such::Type'}}})
    assert 'No::Such::Type' in str(raised.value)
    assert 'OS::Heat::TestResource' in client.list_resource_types(ctxt)
    schema = client.resource_schema(ctxt, 'OS::Heat::RandomString')
    assert schema['attributes']['value']
    assert schema['properties']['length']['type'] == 'integer'
    validated = client.validate_template(ctxt, {
        'heat_template_version': '2021-04-16', 'description': 'd',
        'parameters': {'n': {'type': 'number', 'default': 3}},
        'resources': {'r': {'type': 'OS::Heat::None'}}})
    assert validated['Parameters']['n']['Default'] == 3


def test_a_local_server_runs_its_user_data_until_deleted(client, ctxt, deployment):
    template = {'heat_template_version': '2021-04-16', 'resources': {'server': {
        'type': 'OS::Nova::Server', 'properties': {
            'image': 'cirros', 'flavor': 'm1.tiny',
            'user_data': '#!/bin/sh\necho "booted $HEAT_WATCH_SERVER_ID" > booted.txt\n'
                         'exec sleep 300\n'}}}}
    client.create_stack(ctxt, 'srv', template)
    shown = wait(client, ctxt, 'srv')
    assert shown['stack_status'] == 'CREATE_COMPLETE', shown['stack_status_reason']
    [server] = client.list_resources(ctxt, 'srv')
    server_id = server['physical_resource_id']
    try:
        _check_local_server(client, ctxt, deployment, server_id, shown['id'])
    finally:  # never leave the script running, whatever failed
        orchestrator = next(s for s in deployment.services
                            if s.name == 'heat-watch-orchestrator')
        orchestrator.runtime.compute.delete_server(server_id)


def _check_local_server(client, ctxt, deployment, server_id, stack_id):
    directory = os.path.join(deployment.conf.state_path, 'servers', server_id)
    booted = os.path.join(directory, 'booted.txt')
    deadline = time.monotonic() + 10
    while not os.path.exists(booted):
        assert time.monotonic() < deadline
        time.sleep(0.05)
    with open(booted) as text:
        assert text.read().strip() == 'booted %s' % server_id
    with open(os.path.join(directory, 'metadata.json')) as text:
        assert json.load(text)['metadata']['heat_resource_name'] == 'server'
    attributes = client.show_resource(ctxt, 'srv', 'server')['attributes']
    assert attributes['status'] == 'ACTIVE'
    client.delete_stack(ctxt, 'srv')
    assert wait(client, ctxt, stack_id)['stack_status'] == 'DELETE_COMPLETE'
    assert not os.path.exists(directory)


def test_a_cfn_instance_runs_its_user_data_and_outputs_its_address(client, ctxt, deployment):
    template = {
        'AWSTemplateFormatVersion': '2010-09-09',
        'Parameters': {'Greeting': {'Type': 'String', 'Default': 'hello'}},
        'Resources': {'Web': {'Type': 'AWS::EC2::Instance', 'Properties': {
            'ImageId': 'fedora', 'InstanceType': 'm1.small',
            'UserData': {'Fn::Base64': {'Fn::Join': ['', [
                '#!/bin/sh\n', 'echo ', {'Ref': 'Greeting'}, ' > greeting.txt\n']]}}}}},
        'Outputs': {'Ip': {'Value': {'Fn::GetAtt': ['Web', 'PrivateIp']}},
                    'Id': {'Value': {'Ref': 'Web'}}}}
    client.create_stack(ctxt, 'cfn', template, params={'Greeting': 'bonjour'})
    shown = wait(client, ctxt, 'cfn')
    assert shown['stack_status'] == 'CREATE_COMPLETE', shown['stack_status_reason']
    outputs = {o['output_key']: o['output_value'] for o in shown['outputs']}
    assert outputs['Ip'] == '127.0.0.1'
    greeting = os.path.join(deployment.conf.state_path, 'servers', outputs['Id'],
                            'greeting.txt')
    deadline = time.monotonic() + 10
    while not os.path.exists(greeting) or not os.path.getsize(greeting):
        assert time.monotonic() < deadline
        time.sleep(0.05)
    with open(greeting) as text:
        assert text.read().strip() == 'bonjour'
    client.delete_stack(ctxt, 'cfn')
    assert wait(client, ctxt, shown['id'])['stack_status'] == 'DELETE_COMPLETE'
