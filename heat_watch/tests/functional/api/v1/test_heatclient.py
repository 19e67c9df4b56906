"""python-heatclient (the library) against heat-watch-all's /v1: the stack
life cycle with parameters, an environment and a provider template sent as
``files``; resources, metadata, events, outputs; templates; validation and
its errors; the catalogue; isolation between projects."""

import json

import pytest
from heatclient import exc as heat_exc

from heat_watch.tests.functional.api.v1.conftest import heat, unique, wait_for_status

PROVIDER = {
    'heat_template_version': '2021-04-16',
    'parameters': {'word': {'type': 'string'}},
    'resources': {'inner': {'type': 'OS::Heat::TestResource',
                            'properties': {'value': {'get_param': 'word'}}}},
    'outputs': {'echo': {'value': {'get_attr': ['inner', 'output']}}}}

TEMPLATE = {
    'heat_template_version': '2021-04-16',
    'description': 'a stack of the heatclient tests',
    'parameters': {'greeting': {'type': 'string'},
                   'suffix': {'type': 'string', 'default': '!'}},
    'resources': {
        'word': {'type': 'OS::Heat::TestResource',
                 'metadata': {'role': 'greeter'},
                 'properties': {'value': {'list_join': ['', [{'get_param': 'greeting'},
                                                             {'get_param': 'suffix'}]]}}},
        'provided': {'type': 'My::Echo',
                     'properties': {'word': {'get_attr': ['word', 'output']}}}},
    'outputs': {'said': {'description': 'what the provider echoed',
                         'value': {'get_attr': ['provided', 'echo']}}}}


def _create(client, name: str, **extra) -> str:
    created = client.stacks.create(
        stack_name=name, template=TEMPLATE, parameters={'greeting': 'hello'},
        environment={'parameters': {'suffix': '?'},
                     'resource_registry': {'My::Echo': 'echo.yaml'}},
        files={'echo.yaml': json.dumps(PROVIDER)}, **extra)
    return created['stack']['id']


def test_stack_life_cycle_through_heatclient(heat_a):
    name = unique('life')
    stack_id = _create(heat_a, name)
    stack = wait_for_status(heat_a, stack_id)
    assert stack.stack_status == 'CREATE_COMPLETE', stack.stack_status_reason
    assert stack.stack_name == name and stack.description == TEMPLATE['description']
    assert stack.parameters['greeting'] == 'hello' and stack.parameters['suffix'] == '?'
    assert {o['output_key']: o['output_value'] for o in stack.outputs} == {'said': 'hello?'}
    assert [s.id for s in heat_a.stacks.list()] == [stack_id]
    # By name (the API's 302 to the id) and by id.
    assert heat_a.stacks.get(name).id == stack_id

    outputs = heat_a.stacks.output_list(stack_id)['outputs']
    assert outputs == [{'output_key': 'said', 'description': 'what the provider echoed'}]
    assert heat_a.stacks.output_show(stack_id, 'said')['output']['output_value'] == 'hello?'
    assert heat_a.stacks.template(stack_id) == TEMPLATE
    environment = heat_a.stacks.environment(stack_id)
    assert environment['resource_registry']['My::Echo'] == 'echo.yaml'

    resources = {r.resource_name: r for r in heat_a.resources.list(stack_id)}
    assert set(resources) == {'word', 'provided'}
    assert resources['provided'].resource_type == 'My::Echo'
    assert all(r.resource_status == 'CREATE_COMPLETE' for r in resources.values())
    assert resources['word'].required_by == ['provided']
    word = heat_a.resources.get(stack_id, 'word')
    assert word.attributes['output'] == 'hello?'
    assert heat_a.resources.metadata(stack_id, 'word') == {'role': 'greeter'}
    nested = heat_a.resources.list(stack_id, nested_depth=1)
    assert 'inner' in {r.resource_name for r in nested}

    events = heat_a.events.list(stack_id, resource_name='word')
    assert [e.resource_status for e in events] == ['CREATE_IN_PROGRESS', 'CREATE_COMPLETE']
    shown = heat_a.events.get(stack_id, 'word', events[-1].id)
    assert shown.resource_properties['value'] == 'hello?'
    assert {e.resource_name for e in heat_a.events.list(stack_id)} >= {name, 'word'}

    heat_a.stacks.update(stack_id, template=TEMPLATE, parameters={'greeting': 'hola'},
                         environment={'resource_registry': {'My::Echo': 'echo.yaml'}},
                         files={'echo.yaml': json.dumps(PROVIDER)})
    stack = wait_for_status(heat_a, stack_id)
    assert stack.stack_status == 'UPDATE_COMPLETE', stack.stack_status_reason
    assert stack.outputs[0]['output_value'] == 'hola!'

    heat_a.stacks.update(stack_id, existing=True, parameters={'suffix': '.'})
    stack = wait_for_status(heat_a, stack_id)
    assert stack.stack_status == 'UPDATE_COMPLETE', stack.stack_status_reason
    assert stack.outputs[0]['output_value'] == 'hola.'

    heat_a.stacks.delete(stack_id)
    assert wait_for_status(heat_a, stack_id).stack_status == 'DELETE_COMPLETE'
    assert list(heat_a.stacks.list()) == []


def test_preview_makes_nothing(heat_a):
    preview = heat_a.stacks.preview(
        stack_name=unique('pre'), template=TEMPLATE, parameters={'greeting': 'hi'},
        environment={'resource_registry': {'My::Echo': 'echo.yaml'}},
        files={'echo.yaml': json.dumps(PROVIDER)})
    assert {r['resource_name'] for r in preview.resources} == {'word', 'provided'}
    assert list(heat_a.stacks.list()) == []


def test_validate_checks_values_given_and_leaves_parameters_without_one(heat_a):
    body = {'heat_template_version': '2021-04-16',
            'parameters': {'n': {'type': 'number'}},
            'resources': {'pw': {'type': 'OS::Heat::RandomString',
                                 'properties': {'length': {'get_param': 'n'}}}}}
    assert 'n' in heat_a.stacks.validate(template=body)['Parameters']
    with pytest.raises(heat_exc.HTTPBadRequest) as raised:
        heat_a.stacks.validate(template=body, parameters={'n': 999})
    assert 'resources.pw.properties.length: 999 is out of range (max: 512)' in str(
        raised.value)


def test_validate_answers_the_parameters(heat_a):
    shown = heat_a.stacks.validate(template=TEMPLATE, environment={
        'resource_registry': {'My::Echo': 'echo.yaml'}},
        files={'echo.yaml': json.dumps(PROVIDER)})
    assert shown['Description'] == TEMPLATE['description']
    assert shown['Parameters']['suffix']['Default'] == '!'


BAD_TEMPLATES = [
    ({'heat_template_version': '2021-04-16',
      'resources': {'x': {'type': 'No::Such::Type'}}},
     'resources.x.type: The Resource Type (No::Such::Type) could not be found.'),
    ({'heat_template_version': '2021-04-16',
      'resources': {'x': {'type': 'OS::Heat::TestResource',
                          'properties': {'value': {'get_param': 'missing'}}}}},
     'resources.x.properties.value.get_param: The Parameter (missing) was not provided.'),
    ({'heat_template_version': '2021-04-16',
      'resources': {'x': {'type': 'OS::Heat::TestResource',
                          'properties': {'value': {'get_attr': ['y', 'z']}}}}},
     'resources.x.properties.value.get_attr: The specified reference "y" is incorrect'),
    ({'heat_template_version': '1999-01-01', 'resources': {}},
     '"heat_template_version: 1999-01-01"'),
    # Property values, against each resource type's schema.
    ({'heat_template_version': '2021-04-16',
      'resources': {'x': {'type': 'OS::Heat::TestResource',
                          'properties': {'no_such_property': 1}}}},
     'resources.x.properties: Unknown Property no_such_property'),
    ({'heat_template_version': '2021-04-16',
      'resources': {'srv': {'type': 'OS::Nova::Server', 'properties': {'image': 'cirros'}}}},
     'resources.srv.properties.flavor: Property flavor not assigned'),
    ({'heat_template_version': '2021-04-16',
      'resources': {'pw': {'type': 'OS::Heat::RandomString',
                           'properties': {'length': 'long'}}}},
     "resources.pw.properties.length: Value must be an integer, not 'long'"),
    ({'heat_template_version': '2021-04-16',
      'resources': {'pw': {'type': 'OS::Heat::RandomString', 'properties': {'length': 0}}}},
     'resources.pw.properties.length: 0 is out of range (min: 1)'),
    ({'heat_template_version': '2021-04-16',
      'resources': {'pw': {'type': 'OS::Heat::RandomString',
                           'properties': {'sequence': 'emoji'}}}},
     'resources.pw.properties.sequence: "emoji" is not an allowed value'),
    ({'AWSTemplateFormatVersion': '2010-09-09',
      'Resources': {'vm': {'Type': 'AWS::EC2::Instance',
                           'Properties': {'InstanceType': 'm1.tiny'}}}},
     'Resources.vm.Properties.ImageId: Property ImageId not assigned'),
]


@pytest.mark.parametrize('template, place', BAD_TEMPLATES)
def test_bad_templates_are_refused_by_create_with_400_naming_the_place(heat_a, template,
                                                                      place):
    for call in (heat_a.stacks.create, heat_a.stacks.preview):
        with pytest.raises(heat_exc.HTTPBadRequest) as raised:
            call(stack_name=unique('bad'), template=template)
        assert place in str(raised.value), str(raised.value)
    assert list(heat_a.stacks.list()) == []


@pytest.mark.parametrize('template, place', BAD_TEMPLATES)
def test_bad_templates_are_refused_by_validate_with_400_naming_the_place(heat_a, template,
                                                                        place):
    with pytest.raises(heat_exc.HTTPBadRequest) as raised:
        heat_a.stacks.validate(template=template)
    assert place in str(raised.value), str(raised.value)


def test_mark_unhealthy_then_update_replaces_the_resource(heat_a):
    stack_id = _create(heat_a, unique('sick'))
    assert wait_for_status(heat_a, stack_id).stack_status == 'CREATE_COMPLETE'
    before = heat_a.resources.get(stack_id, 'word')
    heat_a.resources.mark_unhealthy(stack_id, 'word', True, 'disk gone')
    marked = heat_a.resources.get(stack_id, 'word')
    assert (marked.resource_status, marked.resource_status_reason) == (
        'CHECK_FAILED', 'disk gone')
    last = list(heat_a.events.list(stack_id, resource_name='word'))[-1]
    assert (last.resource_status, last.resource_status_reason) == ('CHECK_FAILED', 'disk gone')
    shown = heat_a.events.get(stack_id, 'word', last.id)
    assert shown.resource_status == 'CHECK_FAILED'
    heat_a.resources.mark_unhealthy(stack_id, 'word', False, 'back')
    assert heat_a.resources.get(stack_id, 'word').resource_status == 'CHECK_COMPLETE'
    heat_a.resources.mark_unhealthy(stack_id, 'word', True, '')
    # An update with the existing template replaces the unhealthy resource.
    heat_a.stacks.update(stack_id, existing=True)
    assert wait_for_status(heat_a, stack_id).stack_status == 'UPDATE_COMPLETE'
    after = heat_a.resources.get(stack_id, 'word')
    assert after.resource_status == 'CREATE_COMPLETE'
    assert after.physical_resource_id != before.physical_resource_id
    heat_a.stacks.delete(stack_id)
    assert wait_for_status(heat_a, stack_id).stack_status == 'DELETE_COMPLETE'


def test_missing_stack_and_output_are_404(heat_a):
    with pytest.raises(heat_exc.HTTPNotFound) as raised:
        heat_a.stacks.get('no-such-stack')
    assert 'no-such-stack' in str(raised.value)


def test_catalogue(heat_a):
    types = heat_a.resource_types.list()
    assert 'OS::Heat::TestResource' in {t.resource_type for t in types}
    schema = heat_a.resource_types.get('OS::Heat::RandomString')
    assert 'length' in schema['properties'] and 'value' in schema['attributes']
    generated = heat_a.resource_types.generate_template('OS::Heat::TestResource',
                                                        template_type='hot')
    assert generated['resources']['TestResource']['type'] == 'OS::Heat::TestResource'
    versions = {v.version for v in heat_a.template_versions.list()}
    assert {'heat_template_version.2021-04-16', 'AWSTemplateFormatVersion.2010-09-09'} \
        <= versions
    functions = {f.functions for f in heat_a.template_versions.get(
        'heat_template_version.2021-04-16')}
    assert {'get_param', 'get_attr', 'list_join'} <= functions


def test_projects_do_not_see_each_others_stacks(heat_a, heat_b, rest_endpoint):
    name = unique('mine')
    stack_id = _create(heat_a, name)
    assert list(heat_b.stacks.list()) == []
    for ref in (name, stack_id):
        with pytest.raises(heat_exc.HTTPNotFound):
            heat_b.stacks.get(ref)
    with pytest.raises(heat_exc.HTTPNotFound):
        heat_b.stacks.delete(stack_id)
    # Project B naming project A in the path: refused by the policy.
    project_a = heat_a.http_client.endpoint_override.rsplit('/', 1)[-1]
    project_b = heat_b.http_client.endpoint_override.rsplit('/', 1)[-1]
    intruder = heat(rest_endpoint, project_b)
    intruder.http_client.endpoint_override = '%s/v1/%s' % (rest_endpoint, project_a)
    with pytest.raises(heat_exc.HTTPForbidden):
        list(intruder.stacks.list())
    with pytest.raises(heat_exc.HTTPForbidden):
        intruder.stacks.get(stack_id)
    assert wait_for_status(heat_a, stack_id).stack_status == 'CREATE_COMPLETE'
    heat_a.stacks.delete(stack_id)
    assert wait_for_status(heat_a, stack_id).stack_status == 'DELETE_COMPLETE'
