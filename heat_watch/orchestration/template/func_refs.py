"""Functions that read something: parameters, resources, attributes,
mappings, files and availability zones."""

from collections.abc import Iterator
from typing import Any

from heat_watch.orchestration.template import nodes
from heat_watch.orchestration.template.nodes import Function, is_node


def _traverse(fn: Function, value: Any, path: list) -> Any:
    """Follow ``path`` (keys and list indexes) into ``value``, as get_param does.

    As in Heat, a path that leads nowhere (a missing key, an index out of
    range, a key into a string) gives '' rather than an error.
    """
    for key in path:
        if not isinstance(key, str | int) or isinstance(key, bool):
            raise fn.error(f'Path components in "{fn.name}" must be strings or integers.')
        if isinstance(value, dict) and key in value:
            value = value[key]
        elif isinstance(value, list):
            try:
                value = value[int(key)]
            except (ValueError, IndexError):
                return ''
        else:
            return ''
    return value


class GetParam(Function):
    """``get_param: name`` or ``get_param: [name, key, index...]``."""

    @property
    def needs_stack(self) -> bool:  # type: ignore[override]
        # a parameter without a value (validation only) stays unresolved
        return self.parameter_name in self.scope.unknown

    @property
    def parameter_name(self) -> Any:
        """The parameter this reads."""
        return self.args[0] if isinstance(self.args, list) and self.args else self.args

    def check(self) -> None:
        args = self.args if isinstance(self.args, list) else [self.args]
        if not args or not isinstance(args[0], str):
            raise self.error('The first argument of "get_param" must be the name of a '
                             'parameter (a string).')
        if args[0] not in self.scope.parameters:
            raise self.error(f'The Parameter ({args[0]}) was not provided.')

    def result(self, ctx: nodes.ResolveContext | None) -> Any:
        args = self.resolved_args(ctx)
        args = args if isinstance(args, list) else [args]
        if args[0] in self.scope.unknown:
            return None
        return _traverse(self, self.scope.parameters[args[0]], args[1:])


class ResourceRef(Function):
    """``get_resource: name`` (and ``Ref: name`` when name is a resource)."""

    needs_stack = True

    def check(self) -> None:
        if not isinstance(self.args, str):
            raise self.error(f'The argument of "{self.name}" must be the name of a '
                             'resource (a string).')

    def dependencies(self) -> Iterator[str]:
        yield self.args

    def references(self) -> Iterator[Function]:
        yield self

    def result(self, ctx: nodes.ResolveContext | None) -> Any:
        return ctx.resource_reference(self.args)


class Ref(ResourceRef):
    """CFN's ``Ref``: a parameter's value, a pseudo parameter, or a resource."""

    @property
    def needs_stack(self) -> bool:  # type: ignore[override]
        return not self._is_parameter() or self.args in self.scope.unknown

    @property
    def parameter_name(self) -> Any:
        """The parameter (or resource) this names."""
        return self.args

    def _is_parameter(self) -> bool:
        return isinstance(self.args, str) and (
            self.args in self.scope.parameters or self.args == 'AWS::NoValue')

    def dependencies(self) -> Iterator[str]:
        if not self._is_parameter():
            yield self.args

    def references(self) -> Iterator[Function]:
        if not self._is_parameter():
            yield self

    def result(self, ctx: nodes.ResolveContext | None) -> Any:
        if self.args == 'AWS::NoValue' or self.args in self.scope.unknown:
            return None
        if self._is_parameter():
            return self.scope.parameters[self.args]
        return ctx.resource_reference(self.args)


class GetAtt(Function):
    """HOT's ``get_attr: [resource, attribute, path...]`` and CFN's
    ``Fn::GetAtt: [resource, attribute]``."""

    needs_stack = True

    def _min_args(self) -> int:
        # get_attr: [resource] (every attribute) came with 2015-10-15.
        if self.name == 'get_attr' and self.scope.version.date >= '2015-10-15':
            return 1
        return 2

    def check(self) -> None:
        args = self.args
        if self.name == 'Fn::GetAtt' and isinstance(args, str) and '.' in args:
            args = self.args = args.split('.', 1)
        if not isinstance(args, list) or len(args) < self._min_args():
            shape = ('[resource_name, attribute_name, path...]' if self.name == 'get_attr'
                     else '[resource_name, attribute_name]')
            raise self.error(f'Arguments to "{self.name}" must be of the form {shape}.')
        if self.name == 'Fn::GetAtt' and len(args) != 2:
            raise self.error('Arguments to "Fn::GetAtt" must be of the form '
                             '[resource_name, attribute_name].')
        if not isinstance(args[0], str):
            raise self.error(f'The resource name in "{self.name}" must be a string.')
        if len(args) > 1 and not (isinstance(args[1], str) or is_node(args[1])):
            raise self.error(f'The attribute name in "{self.name}" must be a string.')

    @property
    def resource_name(self) -> str:
        """The resource whose attribute this reads."""
        return self.args[0]

    def dependencies(self) -> Iterator[str]:
        yield self.args[0]
        yield from super().dependencies()

    def references(self) -> Iterator[Function]:
        yield self
        yield from super().references()

    def result(self, ctx: nodes.ResolveContext | None) -> Any:
        args = self.resolved_args(ctx)
        attribute = args[1] if len(args) > 1 else None
        if attribute is not None and not isinstance(attribute, str):
            raise self.error(f'The attribute name in "{self.name}" must be a string.')
        return ctx.resource_attribute(args[0], attribute, list(args[2:]))


class GetAZs(Function):
    """``Fn::GetAZs: region``: the availability zones (the region is ignored)."""

    needs_stack = True

    def check(self) -> None:
        if not (self.args is None or isinstance(self.args, str) or is_node(self.args)):
            raise self.error('The argument of "Fn::GetAZs" must be a region name.')

    def result(self, ctx: nodes.ResolveContext | None) -> Any:
        return list(ctx.availability_zones())


class FindInMap(Function):
    """``Fn::FindInMap: [map, top key, second key]``."""

    def check(self) -> None:
        if not isinstance(self.args, list) or len(self.args) != 3:
            raise self.error('Arguments to "Fn::FindInMap" must be of the form '
                             '[map_name, top_level_key, second_level_key].')

    def result(self, ctx: nodes.ResolveContext | None) -> Any:
        name, top, second = self.resolved_args(ctx)
        mapping = self.scope.mappings.get(name) if isinstance(name, str) else None
        if not isinstance(mapping, dict):
            raise self.error(f'The mapping "{name}" does not exist.')
        try:
            return mapping[top][second]
        except (KeyError, TypeError):
            raise self.error(f'The mapping "{name}" has no value for [{top}][{second}].')


class GetFile(Function):
    """``get_file: key``: the content of a file sent with the request."""

    def check(self) -> None:
        if not isinstance(self.args, str):
            raise self.error('The argument of "get_file" must be a file name (a string).')
        if self.args not in self.scope.files:
            raise self.error(f'No content found in the "files" section for get_file '
                             f'path: {self.args}')

    def result(self, ctx: nodes.ResolveContext | None) -> Any:
        return self.scope.files[self.args]


class Refused(Function):
    """A function heat_watch does not run; refused with the reason."""

    REASONS = {
        'resource_facade': 'it reads the parent resource of a nested stack, which '
                           'heat_watch does not expose to nested templates',
        'Fn::ResourceFacade': 'it reads the parent resource of a nested stack, which '
                              'heat_watch does not expose to nested templates',
        'yaql': 'YAQL expressions are not evaluated by heat_watch',
    }

    def check(self) -> None:
        reason = self.REASONS.get(self.name, 'it is not implemented')
        raise self.error(f'The function "{self.name}" is not supported: {reason}.')
