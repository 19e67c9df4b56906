"""``openstack stack ...`` (python-openstackclient with heatclient's
plugin) against heat-watch-all's noauth /v1: ``--os-auth-type none`` and
the endpoint of the noauth project ("admin"). Template, environment and
provider template are local files the client reads and sends."""

import json
import os
import subprocess
import sys

import pytest
import yaml

from heat_watch.tests.functional.api.v1.conftest import unique

OPENSTACK = os.path.join(os.path.dirname(sys.executable), 'openstack')

TEMPLATE = """
heat_template_version: 2021-04-16
description: a stack of the openstack CLI test
parameters:
  greeting: {type: string}
resources:
  word:
    type: OS::Heat::TestResource
    metadata: {role: greeter}
    properties:
      value: {get_param: greeting}
  provided:
    type: My::Echo
    properties:
      word: {get_attr: [word, output]}
outputs:
  said:
    description: what the provider echoed
    value: {get_attr: [provided, echo]}
"""
PROVIDER = """
heat_template_version: 2021-04-16
parameters:
  word: {type: string}
resources:
  inner:
    type: OS::Heat::TestResource
    properties:
      value: {list_join: ['', [{get_param: word}, '!']]}
outputs:
  echo:
    value: {get_attr: [inner, output]}
"""
ENVIRONMENT = """
resource_registry:
  My::Echo: echo.yaml
"""


@pytest.fixture
def cli(rest_endpoint, tmp_path):
    """Runs ``openstack <args> -f json`` (when it has a format); its output."""
    env = {k: v for k, v in os.environ.items() if not k.startswith('OS_')}

    def run(*args: str, parse: bool = True):
        command = [OPENSTACK, '--os-auth-type', 'none',
                   '--os-endpoint', '%s/v1/admin' % rest_endpoint, *args]
        if parse:
            command += ['-f', 'json']
        done = subprocess.run(command, capture_output=True, text=True, env=env,
                              cwd=str(tmp_path), timeout=180)
        assert done.returncode == 0, (args, done.stdout, done.stderr)
        return _json(done.stdout) if parse else done.stdout
    return run


def _json(output: str):
    """The JSON document of a command's output (``--wait`` prints the
    stack's events before it)."""
    lines = output.splitlines()
    start = next(i for i, line in enumerate(lines) if line[:1] in ('{', '['))
    return json.loads('\n'.join(lines[start:]))


@pytest.fixture
def files(tmp_path):
    for name, text in (('stack.yaml', TEMPLATE), ('echo.yaml', PROVIDER),
                       ('env.yaml', ENVIRONMENT)):
        (tmp_path / name).write_text(text)
    return tmp_path


def test_stack_commands(cli, files):
    name = unique('cli')
    created = cli('stack', 'create', '-t', 'stack.yaml', '-e', 'env.yaml',
                  '--parameter', 'greeting=hello', '--wait', name)
    assert created['stack_status'] == 'CREATE_COMPLETE', created
    assert name in [s['Stack Name'] for s in cli('stack', 'list')]
    shown = cli('stack', 'show', name)
    assert shown['description'] == 'a stack of the openstack CLI test'
    assert [o['output_value'] for o in shown['outputs']] == ['hello!']

    resources = {r['resource_name']: r for r in cli('stack', 'resource', 'list', name)}
    assert resources['provided']['resource_type'] == 'My::Echo'
    assert resources['word']['resource_status'] == 'CREATE_COMPLETE'
    assert cli('stack', 'resource', 'show', name, 'word')['attributes']['output'] == 'hello'
    assert cli('stack', 'resource', 'metadata', name, 'word') == {'role': 'greeter'}
    events = cli('stack', 'event', 'list', name)
    assert {'CREATE_IN_PROGRESS', 'CREATE_COMPLETE'} <= {e['resource_status'] for e in events}
    assert [o['output_key'] for o in cli('stack', 'output', 'list', name)] == ['said']
    assert cli('stack', 'output', 'show', name, 'said')['output_value'] == 'hello!'
    template = yaml.safe_load(cli('stack', 'template', 'show', name, '-f', 'yaml',
                                  parse=False))
    assert template['resources']['provided']['type'] == 'My::Echo'

    updated = cli('stack', 'update', '-t', 'stack.yaml', '-e', 'env.yaml',
                  '--parameter', 'greeting=hola', '--wait', name)
    assert updated['stack_status'] == 'UPDATE_COMPLETE', updated
    assert cli('stack', 'output', 'show', name, 'said')['output_value'] == 'hola!'
    patched = cli('stack', 'update', '--existing', '--parameter', 'greeting=ciao', '--wait',
                  name)
    assert patched['stack_status'] == 'UPDATE_COMPLETE', patched
    assert cli('stack', 'output', 'show', name, 'said')['output_value'] == 'ciao!'

    cli('stack', 'delete', '--yes', '--wait', name, parse=False)
    assert name not in [s['Stack Name'] for s in cli('stack', 'list')]


def test_template_and_catalogue_commands(cli, files):
    validated = cli('orchestration', 'template', 'validate', '-t', 'stack.yaml',
                    '-e', 'env.yaml')
    assert validated['Description'] == 'a stack of the openstack CLI test'
    assert 'greeting' in validated['Parameters']
    types = [t['Resource Type'] for t in cli('orchestration', 'resource', 'type', 'list')]
    assert 'OS::Heat::RandomString' in types
    schema = cli('orchestration', 'resource', 'type', 'show', 'OS::Heat::RandomString')
    assert 'length' in schema['properties']
    versions = [v['Version'] for v in cli('orchestration', 'template', 'version', 'list')]
    assert 'heat_template_version.2021-04-16' in versions
    functions = [f['Functions'] for f in cli('orchestration', 'template', 'function', 'list',
                                              'heat_template_version.2021-04-16')]
    assert 'get_attr' in functions and 'list_join' in functions


def test_a_bad_template_is_an_error_naming_the_place(rest_endpoint, files, tmp_path):
    (tmp_path / 'bad.yaml').write_text(
        'heat_template_version: 2021-04-16\nresources:\n  x: {type: No::Such}\n')
    env = {k: v for k, v in os.environ.items() if not k.startswith('OS_')}
    done = subprocess.run([OPENSTACK, '--os-auth-type', 'none', '--os-endpoint',
                           '%s/v1/admin' % rest_endpoint, 'stack', 'create', '-t', 'bad.yaml',
                           unique('bad')], capture_output=True, text=True, env=env,
                          cwd=str(tmp_path), timeout=180)
    assert done.returncode == 1
    assert 'resources.x.type: The Resource Type (No::Such) could not be found.' in done.stderr
