"""A template bound to parameter values: resource and output definitions.

Binding types and checks every parameter, evaluates the conditions, drops
the resources whose condition is false, and builds each remaining snippet
into values and Function nodes (see ``builder``).
"""

import dataclasses
from collections.abc import Callable
from typing import Any, NamedTuple

from heat_watch.common import exceptions
from heat_watch.orchestration.template import builder, conditions, formats
from heat_watch.orchestration.template import environment as envmod
from heat_watch.orchestration.template.nodes import (
    ResolveContext,
    dependencies,
    resolve,
    template_error,
)
from heat_watch.orchestration.template.template import DELETION_POLICIES, Template


class StackIdentity(NamedTuple):
    """Who the stack is: what the pseudo parameters read."""

    stack_name: str
    stack_id: str
    project_id: str
    region: str


def pseudo_parameters(identity: StackIdentity | None) -> dict[str, Any]:
    """AWS::* and OS::* pseudo parameters, as Heat defines them."""
    identity = identity or StackIdentity('', '', '', '')
    arn = (f'arn:openstack:heat::{identity.project_id}:stacks/'
           f'{identity.stack_name}/{identity.stack_id}')
    return {'AWS::StackName': identity.stack_name, 'AWS::StackId': arn,
            'AWS::Region': identity.region, 'AWS::AccountId': identity.project_id,
            'OS::stack_name': identity.stack_name, 'OS::stack_id': identity.stack_id,
            'OS::project_id': identity.project_id}


_SHOWN_PSEUDO = {
    formats.HOT: ('OS::stack_name', 'OS::stack_id', 'OS::project_id'),
    formats.CFN: ('AWS::StackName', 'AWS::StackId', 'AWS::Region'),
}


@dataclasses.dataclass(frozen=True)
class ResourceDefinition:
    """One resource of a bound template; properties and metadata may still
    hold Function nodes (``resolved_properties`` evaluates them)."""

    name: str
    type: str
    properties: Any
    metadata: Any
    depends_on: frozenset[str]        # explicit and implicit (references)
    deletion_policy: str | None
    update_policy: Any
    condition: str | None
    explicit_depends_on: tuple[str, ...] = ()
    description: str = ''
    external_id: Any = None

    def resolved_properties(self, ctx: ResolveContext) -> dict:
        """The properties with every function evaluated; a property whose
        value is null is left out (HOT's way of asking for the default)."""
        resolved = resolve(self.properties, ctx) or {}
        return {key: value for key, value in resolved.items() if value is not None}

    def resolved_metadata(self, ctx: ResolveContext) -> Any:
        """The metadata with every function evaluated."""
        resolved = resolve(self.metadata, ctx)
        return {} if resolved is None else resolved

    def resolved_update_policy(self, ctx: ResolveContext) -> Any:
        """The update policy with every function evaluated."""
        return resolve(self.update_policy, ctx)


@dataclasses.dataclass(frozen=True)
class OutputDefinition:
    """One output of a bound template; ``value`` may hold Function nodes.

    An output whose condition is false has the value None, as in Heat.
    """

    name: str
    description: str
    value: Any
    condition: str | None = None

    def resolve(self, ctx: ResolveContext) -> Any:
        """The output's value, every function evaluated."""
        return resolve(self.value, ctx)

    def dependencies(self) -> set[str]:
        """The resources the value refers to."""
        return dependencies(self.value)


class BoundTemplate:
    """A template with its parameter values, conditions evaluated."""

    def __init__(self, template: Template, parameters: dict, env: envmod.Environment,
                 resources: dict[str, ResourceDefinition],
                 outputs: dict[str, OutputDefinition], omitted: set[str],
                 hidden: frozenset[str], condition_values: dict[str, bool]):
        self.template = template
        self.parameters = parameters
        self.environment = env
        self._resources = resources
        self.resource_names = frozenset(resources)
        self._outputs = outputs
        self.omitted = frozenset(omitted)
        self.hidden_parameters = hidden
        self.condition_values = condition_values

    def resources(self) -> dict[str, ResourceDefinition]:
        """The resources, those whose condition is false left out."""
        return dict(self._resources)

    def outputs(self) -> dict[str, OutputDefinition]:
        """The outputs (an output whose condition is false has the value None)."""
        return dict(self._outputs)

    def shown_parameters(self) -> dict[str, Any]:
        """The parameter values to show, as Heat shows them: hidden ones as
        ``******``, with the pseudo parameters of the template's format."""
        pseudo = _SHOWN_PSEUDO[self.template.kind]
        return {name: '******' if name in self.hidden_parameters else value
                for name, value in self.parameters.items()
                if name in self.template.param_schemas or name in pseudo}

    def validate(self, known_type: Callable[[str], bool]) -> None:
        """Check types, references and dependency cycles; raise InvalidTemplate."""
        from heat_watch.orchestration.template import validation
        validation.validate(self, known_type)

    def creation_order(self) -> list[list[str]]:
        """The resources in batches: each batch depends only on earlier ones."""
        from heat_watch.orchestration.template import validation
        return validation.batches(self._resources)


def _typed_parameters(template: Template, params: dict, env: envmod.Environment,
                      identity: StackIdentity | None, require_values: bool
                      ) -> tuple[dict, frozenset[str]]:
    given = {**env.parameters, **params}
    pseudo = pseudo_parameters(identity)
    for name in given:
        if name not in template.param_schemas and name not in pseudo:
            raise exceptions.InvalidParameter(
                f'The Parameter ({name}) was not defined in template.')
    values: dict[str, Any] = {}
    unknown = set()
    for name, schema in template.param_schemas.items():
        if name in given:
            values[name] = schema.coerce(given[name])
        elif name in env.parameter_defaults:
            values[name] = schema.coerce(env.parameter_defaults[name])
        elif schema.has_default:
            values[name] = schema.coerce(schema.default)
        elif require_values:
            raise exceptions.InvalidParameter(
                f'{".".join(schema.path)}: The Parameter ({name}) was not provided.')
        else:
            values[name] = None
            unknown.add(name)
    values.update(pseudo)
    return values, frozenset(unknown)


def bind(template: Template, params: dict, env: Any, identity: StackIdentity | None,
         require_values: bool = True) -> BoundTemplate:
    """Bind ``template`` to parameter values: see ``BoundTemplate``."""
    env = env if isinstance(env, envmod.Environment) else envmod.parse_environment(env)
    if not isinstance(params, dict):
        raise exceptions.InvalidParameter('Parameters must be a map of names to values.')
    values, unknown = _typed_parameters(template, params, env, identity, require_values)
    scope = builder.Scope(template.info, values, template.mappings, template.files,
                          unknown=unknown)
    conds = conditions.Conditions(template.conditions, scope,
                                  template.sections['conditions'])
    scope.condition = (lambda expr, path:
                       conditions.resource_condition(conds, template.info, expr, path))
    condition_values = conds.all_values()
    resources, omitted = _resources(template, scope)
    outputs = _outputs(template, scope)
    hidden = frozenset(name for name, schema in template.param_schemas.items()
                       if schema.hidden)
    return BoundTemplate(template, values, env, resources, outputs, omitted, hidden,
                         condition_values)


def _keys(template: Template) -> dict[str, str]:
    if template.kind == formats.HOT:
        return {k: k for k in ('type', 'properties', 'metadata', 'depends_on',
                               'deletion_policy', 'update_policy', 'condition',
                               'description', 'external_id', 'value')}
    return {'type': 'Type', 'properties': 'Properties', 'metadata': 'Metadata',
            'depends_on': 'DependsOn', 'deletion_policy': 'DeletionPolicy',
            'update_policy': 'UpdatePolicy', 'condition': 'Condition',
            'description': 'Description', 'external_id': 'ExternalId', 'value': 'Value'}


def _condition(scope: builder.Scope, body: dict, key: str, where: tuple) -> tuple[bool, Any]:
    if key not in body:
        return True, None
    value = body[key]
    return scope.condition(value, (*where, key)), value if isinstance(value, str) else None


def _resources(template: Template, scope: builder.Scope
               ) -> tuple[dict[str, ResourceDefinition], set[str]]:
    keys = _keys(template)
    section = template.sections['resources']
    resources: dict[str, ResourceDefinition] = {}
    omitted: set[str] = set()
    for name, body in template.resource_snippets.items():
        where = (section, name)
        enabled, condition = _condition(scope, body, keys['condition'], where)
        if not enabled:
            omitted.add(name)
            continue

        def part(logical: str, where: tuple = where, body: dict = body) -> Any:
            key = keys[logical]
            value = builder.build(body.get(key), scope, (*where, key))
            return None if value is builder.REMOVED else value

        properties, metadata = part('properties'), part('metadata')
        explicit = body.get(keys['depends_on']) or []
        explicit = (explicit,) if isinstance(explicit, str) else tuple(explicit)
        policy = part('deletion_policy')
        if policy is not None and (not isinstance(policy, str)
                                   or policy.capitalize() not in DELETION_POLICIES):
            raise template_error((*where, keys['deletion_policy']),
                                 f'Invalid deletion policy "{policy}"; it must be one of '
                                 f'{", ".join(DELETION_POLICIES)}.')
        resources[name] = ResourceDefinition(
            name=name, type=body[keys['type']], properties=properties or {},
            metadata=metadata or {},
            depends_on=frozenset(explicit) | frozenset(dependencies(properties))
            | frozenset(dependencies(metadata)),
            deletion_policy=policy.capitalize() if policy else None,
            update_policy=part('update_policy'), condition=condition,
            explicit_depends_on=explicit, description=body.get(keys['description']) or '',
            external_id=part('external_id'))
    return resources, omitted


def _outputs(template: Template, scope: builder.Scope) -> dict[str, OutputDefinition]:
    keys = _keys(template)
    section = template.sections['outputs']
    outputs = {}
    for name, body in template.output_snippets.items():
        where = (section, name)
        enabled, condition = _condition(scope, body, keys['condition'], where)
        value = (builder.build(body[keys['value']], scope, (*where, keys['value']))
                 if enabled else None)
        if value is builder.REMOVED:
            value = None
        outputs[name] = OutputDefinition(name, body.get(keys['description']) or '',
                                         value, condition)
    return outputs

