"""Parsing a template: its format, version and sections, checked as a whole
before any parameter is known."""

import copy
from typing import TYPE_CHECKING, Any

from heat_watch.common import exceptions
from heat_watch.orchestration.template import builder, formats, loader, parameters
from heat_watch.orchestration.template.func_refs import Refused
from heat_watch.orchestration.template.nodes import template_error

if TYPE_CHECKING:
    from heat_watch.orchestration.template.bound import BoundTemplate, StackIdentity
    from heat_watch.orchestration.template.environment import Environment

DELETION_POLICIES = ('Delete', 'Retain', 'Snapshot')


class Template:
    """A parsed, structurally checked template (CFN or HOT)."""

    def __init__(self, raw: dict, files: dict[str, str] | None, version: formats.Version):
        self.raw = raw
        self.files: dict[str, str] = dict(files or {})
        self.info = version
        self.kind: str = version.kind
        self.version: str = version.date
        names = version.section_names
        self.sections = names
        self.description: str = _text(raw.get(names['description']), names['description'])
        self.param_schemas: dict[str, parameters.ParamSchema] = self._parse_parameters()
        self._groups = self._parse_groups()
        self.mappings: dict = self._parse_mappings()
        self.conditions: dict = self._parse_conditions()
        self.resource_snippets: dict[str, dict] = self._parse_resources()
        self.output_snippets: dict[str, dict] = self._parse_outputs()
        self._check_function_names()

    # -- what the API shows -------------------------------------------------

    def parameter_schemas(self) -> dict[str, dict]:
        """The parameters in Heat's validate shape (Type, Default, NoEcho,
        Description, Label and the constraints)."""
        return {name: schema.schema() for name, schema in self.param_schemas.items()}

    def parameter_groups(self) -> list[dict]:
        """The template's parameter groups (label, description, parameters)."""
        return copy.deepcopy(self._groups)

    def bind(self, params: dict | None, env: 'Environment | str | dict | None',
             identity: 'StackIdentity | None',
             require_values: bool = True) -> 'BoundTemplate':
        """Bind parameter values: see ``BoundTemplate``. Checks the values
        (types, constraints, required), merges the environment's parameters
        and parameter_defaults, evaluates the conditions; raises
        InvalidParameter or InvalidTemplate.

        ``require_values=False`` (the validate API without values) binds a
        parameter that has no value to None instead of refusing it.
        """
        from heat_watch.orchestration.template import bound
        return bound.bind(self, params or {}, env, identity, require_values)

    # -- sections -------------------------------------------------------------

    def _section(self, logical: str) -> tuple[str, Any]:
        name = self.sections[logical]
        return name, self.raw.get(name)

    def _map_section(self, logical: str) -> tuple[str, dict]:
        name, value = self._section(logical)
        if value is None:
            return name, {}
        if not isinstance(value, dict):
            raise template_error((name,), f'The {name} section must be a map.')
        for key in value:
            if not isinstance(key, str):
                raise template_error((name,), f'The names in {name} must be strings, '
                                              f'not {key!r}.')
        return name, value

    def _parse_parameters(self) -> dict[str, parameters.ParamSchema]:
        _, section = self._map_section('parameters')
        parse = parameters.parse_hot if self.kind == formats.HOT else parameters.parse_cfn
        return {name: parse(name, body, self.info) for name, body in section.items()}

    def _parse_groups(self) -> list[dict]:
        if self.kind == formats.CFN:
            return []
        name, groups = self._section('parameter_groups')
        if groups is None:
            return []
        if not isinstance(groups, list):
            raise template_error((name,), 'parameter_groups must be a list.')
        grouped: set[str] = set()
        for i, group in enumerate(groups):
            where = (name, i)
            if not isinstance(group, dict) or not isinstance(group.get('parameters'), list):
                raise template_error(where, 'Parameters must be provided for each '
                                            'Parameter Group.')
            unknown = sorted(str(k) for k in set(group)
                             - {'label', 'description', 'parameters'})
            if unknown:
                raise template_error(where, f'Invalid key(s) {", ".join(unknown)} in a '
                                            'parameter group.')
            for param in group['parameters']:
                if param not in self.param_schemas:
                    raise template_error(where, f'The grouped parameter {param} does not '
                                                'reference a valid parameter.')
                if param in grouped:
                    raise template_error(where, f'The {param} parameter must be assigned '
                                                'to one parameter group only.')
                grouped.add(param)
        return groups

    def _parse_mappings(self) -> dict:
        if self.kind == formats.HOT:
            return {}
        name, section = self._map_section('mappings')
        for key, mapping in section.items():
            if not isinstance(mapping, dict) or not all(
                    isinstance(v, dict) for v in mapping.values()):
                raise template_error((name, key), 'A mapping must be a map of maps.')
        return section

    def _parse_conditions(self) -> dict:
        if not self.info.has_conditions:
            return {}
        _, section = self._map_section('conditions')
        return section

    def _parse_resources(self) -> dict[str, dict]:
        section_name, section = self._map_section('resources')
        hot = self.kind == formats.HOT
        type_key = 'type' if hot else 'Type'
        for name, body in section.items():
            where = (section_name, name)
            if '/' in name:
                # a resource is addressed as .../resources/<name> in the API
                raise template_error(where, f'Resource name may not contain "/": {name}')
            if not isinstance(body, dict):
                raise template_error(where, f'A resource must be a map with a "{type_key}".')
            unknown = sorted(str(k) for k in set(body) - self.info.resource_keys)
            if unknown:
                raise template_error(where, f'"{unknown[0]}" is not a valid keyword inside '
                                            'a resource definition')
            if not isinstance(body.get(type_key), str) or not body[type_key]:
                raise template_error(where, f'Resource {name} is missing "{type_key}" (a '
                                            'string).')
            self._check_resource_fields(name, body, where)
        return section

    def _check_resource_fields(self, name: str, body: dict, where: tuple) -> None:
        hot = self.kind == formats.HOT
        key = 'depends_on' if hot else 'DependsOn'
        depends = body.get(key)
        if depends is not None and not isinstance(depends, str) and not (
                isinstance(depends, list) and all(isinstance(d, str) for d in depends)):
            raise template_error((*where, key), f'{key} must be a resource name or a list '
                                                'of resource names.')
        key = 'deletion_policy' if hot else 'DeletionPolicy'
        policy = body.get(key)
        allowed = list(DELETION_POLICIES)
        if hot and self.info.has_conditions:
            allowed += [p.lower() for p in DELETION_POLICIES]
        if isinstance(policy, str) and policy not in allowed:
            raise template_error((*where, key), f'Invalid deletion policy "{policy}"; it '
                                                f'must be one of {", ".join(allowed)}.')
        for key in (('properties', 'metadata', 'update_policy') if hot
                    else ('Properties', 'Metadata', 'UpdatePolicy')):
            value = body.get(key)
            if value is not None and not isinstance(value, dict):
                raise template_error((*where, key), f'{key} must be a map.')

    def _parse_outputs(self) -> dict[str, dict]:
        section_name, section = self._map_section('outputs')
        value_key = 'value' if self.kind == formats.HOT else 'Value'
        for name, body in section.items():
            where = (section_name, name)
            if not isinstance(body, dict) or value_key not in body:
                raise template_error(where, f'Each output must contain a {value_key} key.')
            unknown = sorted(str(k) for k in set(body) - self.info.output_keys)
            if unknown:
                raise template_error(where, f'"{unknown[0]}" is not a valid keyword inside '
                                            'an output definition')
        return section

    def _check_function_names(self) -> None:
        """Every function call names a function of this version (or is refused)."""

        def visit(name: str, args: Any, path: tuple) -> None:
            builder.check_available(name, self.info, path)
            if builder.FUNCTIONS.get(name) is Refused:
                Refused(None, path, name, args).check()

        for logical in ('resources', 'outputs'):
            section = self.sections[logical]
            for name, body in (self.raw.get(section) or {}).items():
                builder.walk_calls(body, self.info, (section, name), visit)


def _text(value: Any, section: str) -> str:
    if value is None:
        return ''
    if not isinstance(value, str):
        raise template_error((section,), f'{section} must be a string.')
    return value


def _version_of(data: dict) -> formats.Version:
    keys = [key for key in formats.VERSION_KEYS if key in data]
    if len(keys) > 1:
        raise exceptions.InvalidTemplate(
            f'A template has one of {", ".join(formats.VERSION_KEYS)}, not '
            f'{" and ".join(keys)}.')
    if not keys:
        raise exceptions.InvalidTemplate(
            'The template version is invalid: Template version was not provided; '
            f'give {formats.HOT_VERSION_KEY} (HOT) or {formats.CFN_VERSION_KEY} '
            '(CloudFormation).')
    key = keys[0]
    version = formats.lookup(key, data[key])
    if version is None:
        accepted = ([*formats.HOT_VERSIONS, *formats.HOT_ALIASES]
                    if key == formats.HOT_VERSION_KEY
                    else [v.date for v in formats.all_versions() if v.version_key == key])
        raise exceptions.InvalidTemplate(
            f'The template version is invalid: "{key}: {data[key]}". "{key}" should be '
            f'one of: {", ".join(accepted)}')
    return version


def parse(body: str | bytes | dict, files: dict[str, str] | None = None) -> Template:
    """A Template from JSON/YAML text or a dict; raises InvalidTemplate."""
    data = loader.load_mapping(body, 'template')
    version = _version_of(data)
    unknown = sorted(str(key) for key in data if key not in version.sections)
    if unknown:
        raise exceptions.InvalidTemplate(
            f'The template section is invalid: {unknown[0]} (a {version.key} template '
            f'has the sections {", ".join(sorted(version.sections))}).')
    if files is not None and not isinstance(files, dict):
        raise exceptions.InvalidTemplate('files must be a map of names to contents.')
    return Template(data, files, version)
