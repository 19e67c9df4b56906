"""What a project may ask about templates without a stack: validate,
resource types (list, schema, a template of one type), template versions
and their functions, build information."""

import re
from importlib import metadata

import webob

from heat_watch.api.controllers.v1 import base, stacks

# A property's type as the type of the parameter that feeds it (Heat's rule).
_PARAMETER_TYPES = {'string': 'string', 'integer': 'number', 'number': 'number',
                    'boolean': 'boolean', 'list': 'comma_delimited_list', 'map': 'json',
                    'any': 'json'}
_CFN_PARAMETER_TYPES = {'string': 'String', 'number': 'Number', 'boolean': 'Boolean',
                        'comma_delimited_list': 'CommaDelimitedList', 'json': 'Json'}
HOT_VERSION = '2016-10-14'


@base.answers_heat_errors
def validate(tenant_id: str, params: dict) -> webob.Response:
    """POST /validate: the template's description, parameters and groups."""
    ctxt = base.context_for(tenant_id, 'stacks:validate_template')
    body = base.json_body()
    shown = base.orchestrator().validate_template(
        ctxt, stacks._template(body), params=body.get('parameters'),
        files=body.get('files'), environment=body.get('environment'))
    return base.json_response(shown)


@base.answers_heat_errors
def resource_types(tenant_id: str, params: dict) -> webob.Response:
    """GET /resource_types (``name``: a regular expression the names match;
    ``with_description``: each with its description)."""
    ctxt = base.context_for(tenant_id, 'stacks:list_resource_types')
    names = base.orchestrator().list_resource_types(ctxt)
    if params.get('name'):
        try:
            pattern = re.compile(params['name'])
        except re.error as error:
            raise base.HTTPError(400, 'The name filter is not a regular expression: %s'
                                 % error)
        names = [n for n in names if pattern.search(n)]
    if not base.query_bool(params, 'with_description'):
        return base.json_response({'resource_types': names})
    return base.json_response({'resource_types': [
        {'resource_type': n, 'description': base.orchestrator().resource_schema(
            ctxt, n).get('description', '')} for n in names]})


@base.answers_heat_errors
def resource_schema(tenant_id: str, params: dict, type_name: str) -> webob.Response:
    """GET /resource_types/{type}: properties, attributes, support status."""
    ctxt = base.context_for(tenant_id, 'stacks:resource_schema')
    return base.json_response(base.orchestrator().resource_schema(ctxt, type_name))


def _hot_template(type_name: str, schema: dict) -> dict:
    logical = type_name.split('::')[-1]
    parameters = {}
    for name, prop in schema.get('properties', {}).items():
        parameter = {'type': _PARAMETER_TYPES.get(prop.get('type'), 'string'),
                     'description': prop.get('description', '')}
        if prop.get('default') is not None:
            parameter['default'] = prop['default']
        parameters[name] = parameter
    return {
        'heat_template_version': HOT_VERSION,
        'description': 'Initial template of %s' % logical,
        'parameters': parameters,
        'resources': {logical: {'type': type_name, 'properties': {
            name: {'get_param': name} for name in parameters}}},
        'outputs': {name: {'description': attr.get('description', ''),
                           'value': {'get_attr': [logical, name]}}
                    for name, attr in schema.get('attributes', {}).items()},
    }


def _cfn_template(type_name: str, schema: dict) -> dict:
    hot = _hot_template(type_name, schema)
    logical = type_name.split('::')[-1]
    parameters = {}
    for name, parameter in hot['parameters'].items():
        shown = {'Type': _CFN_PARAMETER_TYPES[parameter['type']],
                 'Description': parameter['description']}
        if 'default' in parameter:
            shown['Default'] = parameter['default']
        parameters[name] = shown
    return {
        'AWSTemplateFormatVersion': '2010-09-09',
        'Description': hot['description'],
        'Parameters': parameters,
        'Resources': {logical: {'Type': type_name, 'Properties': {
            name: {'Ref': name} for name in parameters}}},
        'Outputs': {name: {'Description': output['description'],
                           'Value': {'Fn::GetAtt': [logical, name]}}
                    for name, output in hot['outputs'].items()},
    }


@base.answers_heat_errors
def generate_template(tenant_id: str, params: dict, type_name: str) -> webob.Response:
    """GET /resource_types/{type}/template (``template_type``: cfn or hot):
    a template with one resource of the type, a parameter per property
    and an output per attribute."""
    ctxt = base.context_for(tenant_id, 'stacks:generate_template')
    kind = params.get('template_type') or 'cfn'
    if kind not in ('cfn', 'hot'):
        raise base.HTTPError(400, 'Template type is not supported: %s' % kind)
    schema = base.orchestrator().resource_schema(ctxt, type_name)
    render = _hot_template if kind == 'hot' else _cfn_template
    return base.json_response(render(type_name, schema))


@base.answers_heat_errors
def template_versions(tenant_id: str, params: dict) -> webob.Response:
    """GET /template_versions."""
    ctxt = base.context_for(tenant_id, 'stacks:list_template_versions')
    return base.json_response({'template_versions':
                               base.orchestrator().list_template_versions(ctxt)})


@base.answers_heat_errors
def template_functions(tenant_id: str, params: dict, version: str) -> webob.Response:
    """GET /template_versions/{version}/functions."""
    ctxt = base.context_for(tenant_id, 'stacks:list_template_functions')
    return base.json_response({'template_functions':
                               base.orchestrator().list_template_functions(ctxt, version)})


@base.answers_heat_errors
def build_info(tenant_id: str, params: dict) -> webob.Response:
    """GET /build_info (``openstack orchestration build info``)."""
    base.context_for(tenant_id, 'build_info:build_info')
    try:
        revision = metadata.version('heat_watch')
    except metadata.PackageNotFoundError:
        revision = 'unknown'
    return base.json_response({'api': {'revision': revision},
                               'engine': {'revision': revision}})
