"""What the template tests share: a small stack standing in for the engine's
ResolveContext, and shortcuts to parse, bind and resolve."""

from typing import Any

from heat_watch.orchestration import template as tpl

IDENTITY = tpl.StackIdentity(stack_name='teststack', stack_id='5a5b-1d',
                             project_id='proj1', region='RegionOne')


class Stack:
    """A ResolveContext: physical ids are "<name>-id", attributes come from a table."""

    def __init__(self, attributes: dict[str, dict] | None = None,
                 zones: list[str] | None = None):
        self.attributes = attributes or {}
        self.zones = zones or ['nova', 'az2']
        self.asked: list[tuple] = []

    def resource_reference(self, name: str) -> str:
        self.asked.append(('ref', name))
        return f'{name}-id'

    def resource_attribute(self, name: str, attribute: str | None, path: list) -> Any:
        self.asked.append(('attr', name, attribute, tuple(path)))
        value = self.attributes.get(name, {})
        if attribute is not None:
            value = value.get(attribute)
        for key in path:
            value = value[key]
        return value

    def availability_zones(self) -> list[str]:
        return list(self.zones)


def hot(body: str, version: str = '2021-04-16') -> str:
    """A HOT template text with the version line prepended."""
    return f'heat_template_version: {version}\n{body}'


def bind(body: str | dict, params: dict | None = None, env: Any = None,
         files: dict | None = None) -> tpl.BoundTemplate:
    return tpl.parse(body, files).bind(params or {}, tpl.parse_environment(env), IDENTITY)


def props(body: str | dict, resource: str = 'r', params: dict | None = None,
          stack: Stack | None = None, env: Any = None, files: dict | None = None) -> dict:
    """The resolved properties of one resource."""
    bound = bind(body, params, env, files)
    return bound.resources()[resource].resolved_properties(stack or Stack())


def value(snippet: str, version: str = '2021-04-16', params: str = '',
          stack: Stack | None = None, values: dict | None = None,
          files: dict | None = None) -> Any:
    """The resolved value of one HOT snippet (YAML text), as output "out"."""
    body = hot(f'{params}\noutputs:\n  out:\n    value: {snippet}\n', version)
    bound = bind(body, values, None, files)
    return bound.outputs()['out'].resolve(stack or Stack())
