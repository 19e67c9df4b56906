"""Stack environments: parameters, parameter_defaults and the resource registry.

The registry maps a resource type to another type or to a provider
template (a file sent with the request); a per-resource section maps the
type of one named resource only. ``event_sinks`` and
``encrypted_param_names`` are accepted (python-heatclient sends them) and
not acted upon.
"""

import copy
import fnmatch
from typing import Any

from heat_watch.common import exceptions
from heat_watch.orchestration.template import loader

SECTIONS = ('parameters', 'parameter_defaults', 'resource_registry', 'event_sinks',
            'encrypted_param_names')
_TEMPLATE_SUFFIXES = ('.yaml', '.yml', '.template', '.json')
_URL_PREFIXES = ('http://', 'https://', 'file://')
# A wildcard that maps a family into itself (My::* -> My::Impl::*) never
# repeats a name; mappings are followed this many times at most.
_MAX_HOPS = 20


def is_template_name(name: str) -> bool:
    """True when a (mapped) type name is a provider template file, not a type."""
    return isinstance(name, str) and (name.endswith(_TEMPLATE_SUFFIXES)
                                      or name.startswith(_URL_PREFIXES))


def _error(message: str) -> exceptions.InvalidEnvironment:
    return exceptions.InvalidEnvironment(message)


class Environment:
    """A stack's environment, checked when parsed."""

    def __init__(self, parameters: dict | None = None,
                 parameter_defaults: dict | None = None,
                 resource_registry: dict | None = None,
                 event_sinks: list | None = None,
                 encrypted_param_names: list | None = None):
        self.parameters: dict = dict(parameters or {})
        self.parameter_defaults: dict = dict(parameter_defaults or {})
        self.resource_registry: dict = copy.deepcopy(resource_registry or {})
        self.event_sinks: list = list(event_sinks or [])
        self.encrypted_param_names: list = list(encrypted_param_names or [])
        _check_registry(self.resource_registry)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Environment) and other.to_dict() == self.to_dict()

    def __repr__(self) -> str:
        return f'Environment({self.to_dict()!r})'

    def resolve_type(self, type_name: str, resource_name: str) -> str:
        """The type (or provider template file) that ``type_name`` stands for.

        A mapping for this resource under ``resources:`` wins over a global
        one; an exact key wins over a wildcard (``OS::Networking::*``);
        mappings are followed until a type maps to nothing else.
        """
        seen = [type_name]
        current = type_name
        while True:
            target = self._lookup(current, resource_name)
            if target is None or target == current:
                return current
            if target in seen or len(seen) > _MAX_HOPS:
                raise _error(f'resource_registry: the mappings of "{type_name}" loop: '
                             f'{" -> ".join([*seen, target])}.')
            seen.append(target)
            current = target
            if is_template_name(current):
                return current

    def _lookup(self, type_name: str, resource_name: str) -> str | None:
        per_resource = (self.resource_registry.get('resources') or {}).get(resource_name)
        for table in (per_resource or {}, self.resource_registry):
            target = _match(table, type_name)
            if target is not None:
                return target
        return None

    def merged(self, other: 'Environment') -> 'Environment':
        """This environment updated by ``other`` (a PATCH update): ``other``'s
        values win, key by key."""
        registry = copy.deepcopy(self.resource_registry)
        for key, value in other.resource_registry.items():
            if key == 'resources' and isinstance(value, dict):
                resources = registry.setdefault('resources', {})
                for name, mapping in value.items():
                    resources.setdefault(name, {}).update(mapping)
            else:
                registry[key] = value
        return Environment(
            parameters={**self.parameters, **other.parameters},
            parameter_defaults={**self.parameter_defaults, **other.parameter_defaults},
            resource_registry=registry,
            event_sinks=other.event_sinks or self.event_sinks,
            encrypted_param_names=_union(self.encrypted_param_names,
                                         other.encrypted_param_names))

    def for_child(self) -> 'Environment':
        """The environment a nested stack (or provider template) inherits, as
        Heat hands it down: the registry and parameter_defaults, not the
        parameters (the child's parameters are the resource's properties)."""
        return Environment(parameter_defaults=self.parameter_defaults,
                           resource_registry=self.resource_registry,
                           event_sinks=self.event_sinks)

    def to_dict(self) -> dict:
        """The environment as Heat stores and shows it."""
        return {'parameters': copy.deepcopy(self.parameters),
                'parameter_defaults': copy.deepcopy(self.parameter_defaults),
                'resource_registry': copy.deepcopy(self.resource_registry),
                'event_sinks': copy.deepcopy(self.event_sinks),
                'encrypted_param_names': list(self.encrypted_param_names)}

    def provider_files(self) -> list[str]:
        """Every provider template file the registry names."""
        found = []
        tables = [self.resource_registry,
                  *(self.resource_registry.get('resources') or {}).values()]
        for table in tables:
            for key, value in table.items():
                if key != 'resources' and is_template_name(value):
                    found.append(value)
        return found


def _union(first: list, second: list) -> list:
    return first + [item for item in second if item not in first]


def _match(table: dict, type_name: str) -> str | None:
    if type_name in table and isinstance(table[type_name], str):
        return table[type_name]
    # wildcards: the longest matching pattern wins, its * carried over
    best = None
    for pattern, target in table.items():
        if (isinstance(target, str) and pattern.endswith('*')
                and fnmatch.fnmatchcase(type_name, pattern)):
            if best is None or len(pattern) > len(best[0]):
                best = (pattern, target)
    if best is None:
        return None
    pattern, target = best
    if target.endswith('*'):
        return target[:-1] + type_name[len(pattern) - 1:]
    return target


def _check_registry(registry: Any) -> None:
    if not isinstance(registry, dict):
        raise _error('resource_registry must be a map.')
    for key, value in registry.items():
        if key == 'resources':
            if not isinstance(value, dict):
                raise _error('resource_registry.resources must be a map of resource '
                             'names to maps.')
            for name, mapping in value.items():
                if not isinstance(mapping, dict):
                    raise _error(f'resource_registry.resources.{name} must be a map.')
                for type_name, target in mapping.items():
                    # hooks (pre-create breakpoints...) are accepted and not acted upon
                    if type_name != 'hooks' and not isinstance(target, str):
                        raise _error(f'resource_registry.resources.{name}.{type_name} '
                                     'must map to a type name or a template file.')
        elif key == 'base_url':
            continue
        elif not isinstance(value, str):
            raise _error(f'resource_registry.{key} must map to a type name or a '
                         'template file.')


def parse_environment(env: str | bytes | dict | None) -> Environment:
    """An Environment from JSON/YAML text or a dict (None: an empty one)."""
    if env is None:
        return Environment()
    if isinstance(env, Environment):
        return env
    data = loader.load_mapping(env, 'environment')
    unknown = sorted(str(k) for k in set(data) - set(SECTIONS))
    if unknown:
        raise _error(f'The environment has unknown section(s) {", ".join(unknown)}; '
                     f'it may have {", ".join(SECTIONS)}.')
    for section in ('parameters', 'parameter_defaults', 'resource_registry'):
        if data.get(section) is not None and not isinstance(data[section], dict):
            raise _error(f'The environment section {section} must be a map.')
    for section in ('event_sinks', 'encrypted_param_names'):
        if data.get(section) is not None and not isinstance(data[section], list):
            raise _error(f'The environment section {section} must be a list.')
    return Environment(data.get('parameters'), data.get('parameter_defaults'),
                       data.get('resource_registry'), data.get('event_sinks'),
                       data.get('encrypted_param_names'))
