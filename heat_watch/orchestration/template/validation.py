"""Checks of a bound template before anything is created: resource types,
references and dependency cycles, each error naming its place."""

from collections.abc import Callable
from typing import Any

from heat_watch.common import exceptions
from heat_watch.orchestration.template import environment as envmod
from heat_watch.orchestration.template.nodes import iter_nodes, join_path, template_error


def validate(bound: Any, known_type: Callable[[str], bool]) -> None:
    """Raise InvalidTemplate for the first problem found."""
    template = bound.template
    resources = bound.resources()
    section = template.sections['resources']
    keys = ('type', 'depends_on') if template.kind == 'hot' else ('Type', 'DependsOn')
    for name, definition in resources.items():
        mapped = _check_type(bound, definition, (section, name, keys[0]), known_type)
        if mapped is not None:
            _check_provider(bound, definition, mapped, (section, name))
        for other in definition.explicit_depends_on:
            _check_reference(bound, other, (section, name, keys[1]))
        for snippet in (definition.properties, definition.metadata):
            _check_references(bound, snippet)
    for output in bound.outputs().values():
        _check_references(bound, output.value)
    _check_cycles(resources, section)


def _check_type(bound: Any, definition: Any, path: tuple,
                known_type: Callable[[str], bool]) -> str | None:
    """Check the (mapped) type; the provider template's file name when it is one."""
    try:
        mapped = bound.environment.resolve_type(definition.type, definition.name)
    except exceptions.InvalidEnvironment as exc:
        raise template_error(path, str(exc))
    if envmod.is_template_name(mapped) or mapped in bound.template.files:
        if mapped not in bound.template.files:
            raise template_error(path, f'Could not fetch remote template "{mapped}": it '
                                       'is not among the files sent with the request.')
        return mapped
    if not known_type(mapped):
        shown = mapped if mapped == definition.type else f'{mapped}, mapped from ' \
                                                          f'{definition.type}'
        raise template_error(path, f'The Resource Type ({shown}) could not be found.')
    return None


def _check_provider(bound: Any, definition: Any, file_name: str, where: tuple) -> None:
    """A provider template parses, and the resource's properties are its
    parameters: each property declared, each parameter without a default given.

    Only this level is checked; the provider's own resources are checked
    when its nested stack is created.
    """
    from heat_watch.orchestration.template.template import parse
    try:
        nested = parse(bound.template.files[file_name], bound.template.files)
    except exceptions.InvalidTemplate as exc:
        raise template_error(where, f'The provider template "{file_name}" is invalid: '
                                    f'{exc}')
    properties = definition.properties
    if not isinstance(properties, dict):
        return   # computed as a whole from resources: known only when created
    key = 'properties' if bound.template.kind == 'hot' else 'Properties'
    for name in properties:
        if name not in nested.param_schemas:
            raise template_error((*where, key, name),
                                 f'Unknown Property {name}: the provider template '
                                 f'"{file_name}" has no parameter of that name.')
    defaults = bound.environment.parameter_defaults
    for name, schema in nested.param_schemas.items():
        if (not schema.has_default and properties.get(name) is None
                and name not in defaults):
            raise template_error((*where, key), f'Property {name} not assigned: the '
                                                f'provider template "{file_name}" needs it.')


def _check_reference(bound: Any, name: Any, path: tuple) -> None:
    if name in bound.resource_names:
        return
    if name in bound.omitted:
        raise template_error(path, f'The specified reference "{name}" is incorrect: the '
                                   'resource is left out by its condition.')
    raise template_error(path, f'The specified reference "{name}" is incorrect: there is '
                               'no such resource.')


def _check_references(bound: Any, snippet: Any) -> None:
    for node in iter_nodes(snippet):
        for ref in node.references():
            target = ref.args[0] if isinstance(ref.args, list) else ref.args
            _check_reference(bound, target, ref.path)


def _check_cycles(resources: dict, section: str) -> None:
    # Iterative depth-first search (a chain of thousands of resources must
    # not reach Python's recursion limit); a node met again while still on
    # the path closes a cycle.
    done: set[str] = set()
    for root in sorted(resources):
        if root in done:
            continue
        path: list[str] = [root]
        on_path = {root}
        todo = [iter(sorted(resources[root].depends_on))]
        while todo:
            other = next(todo[-1], None)
            if other is None:
                todo.pop()
                finished = path.pop()
                on_path.discard(finished)
                done.add(finished)
                continue
            if other not in resources or other in done:
                continue
            if other in on_path:
                cycle = [*path[path.index(other):], other]
                raise template_error((section,), 'Circular Dependency Found: '
                                                 + ' -> '.join(cycle))
            path.append(other)
            on_path.add(other)
            todo.append(iter(sorted(resources[other].depends_on)))


def batches(resources: dict) -> list[list[str]]:
    """Resource names in creation batches (dependencies first), Kahn's way."""
    waiting = {name: len({d for d in r.depends_on if d in resources})
               for name, r in resources.items()}
    needed_by: dict[str, list[str]] = {name: [] for name in resources}
    for name, definition in resources.items():
        for other in {d for d in definition.depends_on if d in resources}:
            needed_by[other].append(name)
    ready = sorted(name for name, count in waiting.items() if count == 0)
    order = []
    placed = 0
    while ready:
        order.append(ready)
        placed += len(ready)
        following = []
        for name in ready:
            for dependant in needed_by[name]:
                waiting[dependant] -= 1
                if waiting[dependant] == 0:
                    following.append(dependant)
        ready = sorted(following)
    if placed != len(resources):
        stuck = sorted(name for name, count in waiting.items() if count)
        raise template_error(('resources',), 'Circular Dependency Found among: '
                             + ', '.join(stuck))
    return order


__all__ = ['validate', 'batches', 'join_path']
