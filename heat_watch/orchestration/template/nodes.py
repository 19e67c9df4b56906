"""Function nodes: the unresolved parts of a bound template.

Binding a template turns every intrinsic-function call into a ``Function``
node. A node whose arguments need nothing from the running stack (a
``get_param``, a ``str_replace`` of parameters) is evaluated at once and
replaced by its value; what remains in resource properties and outputs are
the nodes that need resources (``get_resource``, ``get_attr``, ``Ref`` to a
resource, ``Fn::GetAZs``) and the nodes built around them. ``resolve``
evaluates them against the engine's ``ResolveContext``.
"""

from collections.abc import Iterator
from typing import Any, Protocol

from heat_watch.common import exceptions


class ResolveContext(Protocol):
    """What resolving needs from the running stack (the engine's Stack)."""

    def resource_reference(self, name: str) -> str:
        """The physical id of a resource (``get_resource`` / ``Ref``)."""

    def resource_attribute(self, name: str, attribute: str | None, path: list) -> Any:
        """An attribute of a resource (``get_attr`` / ``Fn::GetAtt``).

        ``attribute`` is None for HOT's ``get_attr: [name]``, which asks for
        every attribute as a dict; ``path`` are the keys and indexes to
        follow into the attribute's value.
        """

    def availability_zones(self) -> list[str]:
        """The availability zones of the stack's region (``Fn::GetAZs``)."""


def join_path(parts: tuple | list) -> str:
    """``('resources', 'a', 'properties', 'l', 0)`` -> ``resources.a.properties.l[0]``."""
    text = ''
    for part in parts:
        if isinstance(part, int):
            text += f'[{part}]'
        else:
            text += f'.{part}' if text else str(part)
    return text


def template_error(path: tuple | list | str, message: str) -> exceptions.InvalidTemplate:
    """An InvalidTemplate whose message starts with the place in the template."""
    where = path if isinstance(path, str) else join_path(path)
    return exceptions.InvalidTemplate(f'{where}: {message}' if where else message)


class Function:
    """One intrinsic-function call in a template.

    Subclasses set ``check`` (argument shapes, called at bind time with
    unresolved nodes standing for any value) and ``result`` (the value,
    given the context; ``None`` when the node is static).
    """

    #: False for functions that need the running stack.
    needs_stack = False

    def __init__(self, scope: Any, path: tuple, name: str, args: Any):
        self.scope = scope
        self.path = path
        self.name = name
        self.args = args

    def __repr__(self) -> str:
        return f'{{{self.name!r}: {self.args!r}}}'

    def __eq__(self, other: object) -> bool:
        return (type(other) is type(self) and other.name == self.name
                and other.args == self.args)

    def __hash__(self) -> int:
        return hash((type(self), self.name))

    @property
    def where(self) -> str:
        """The place of this call, for error messages."""
        return join_path(self.path)

    def error(self, message: str) -> exceptions.InvalidTemplate:
        """An InvalidTemplate at this call's place."""
        return template_error(self.path, message)

    @property
    def static(self) -> bool:
        """True when the value needs nothing from the running stack."""
        return not self.needs_stack and all(not n.needs_stack and n.static
                                            for n in iter_nodes(self.args))

    def check(self) -> None:
        """Check the argument shapes; unresolved nodes stand for any value."""

    def result(self, ctx: ResolveContext | None) -> Any:
        raise NotImplementedError

    def dependencies(self) -> Iterator[str]:
        """The resources this call refers to (itself and its arguments)."""
        for node in iter_nodes(self.args):
            yield from node.dependencies()

    def references(self) -> Iterator['Function']:
        """This node and every node under it that names a resource."""
        for node in iter_nodes(self.args):
            yield from node.references()

    def resolved_args(self, ctx: ResolveContext | None) -> Any:
        """The arguments with every node in them evaluated."""
        return resolve(self.args, ctx)


def iter_nodes(snippet: Any) -> Iterator[Function]:
    """The outermost Function nodes in a snippet."""
    if isinstance(snippet, Function):
        yield snippet
    elif isinstance(snippet, dict):
        for value in snippet.values():
            yield from iter_nodes(value)
    elif isinstance(snippet, list | tuple):
        for value in snippet:
            yield from iter_nodes(value)


def dependencies(snippet: Any) -> set[str]:
    """The resource names a snippet refers to."""
    names: set[str] = set()
    for node in iter_nodes(snippet):
        names.update(node.dependencies())
    return names


def resolve(snippet: Any, ctx: ResolveContext | None) -> Any:
    """The snippet with every function node in it evaluated."""
    if isinstance(snippet, Function):
        return snippet.result(ctx)
    if isinstance(snippet, dict):
        return {key: resolve(value, ctx) for key, value in snippet.items()}
    if isinstance(snippet, list | tuple):
        return [resolve(value, ctx) for value in snippet]
    return snippet


def is_node(value: Any) -> bool:
    """True for an unresolved Function node."""
    return isinstance(value, Function)
