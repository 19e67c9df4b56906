"""Conditions: CFN's ``Conditions`` and HOT's ``conditions`` (2016-10-14 on).

A condition is evaluated once parameters are bound; its value decides
whether a resource or an output exists and which branch an ``if`` takes.
"""

from typing import Any

from heat_watch.orchestration.template import builder, formats, func_refs
from heat_watch.orchestration.template.nodes import template_error

_BOOLEAN_OPS = {'equals', 'not', 'and', 'or', 'contains', 'Fn::Equals', 'Fn::Not',
                'Fn::And', 'Fn::Or', 'Condition'}


class Conditions:
    """The conditions of one bound template, evaluated on demand, once each."""

    def __init__(self, definitions: dict, scope: builder.Scope, section: str):
        self._definitions = definitions
        self._scope = scope
        self._section = section
        self._values: dict[str, bool] = {}
        self._evaluating: list[str] = []
        self._known = (frozenset(scope.version.condition_functions)
                       | builder.known_functions(scope.version))

    def names(self) -> list[str]:
        """Every condition the template defines."""
        return list(self._definitions)

    def all_values(self) -> dict[str, bool]:
        """Every condition's value (evaluating each one checks it)."""
        return {name: self.named(name, (self._section, name)) for name in self._definitions}

    def named(self, name: str, path: tuple) -> bool:
        """The value of the condition called ``name``."""
        if name in self._values:
            return self._values[name]
        if name not in self._definitions:
            raise template_error(path, f'Invalid condition "{name}": there is no such '
                                       f'condition in {self._section}.')
        if name in self._evaluating:
            chain = ' -> '.join([*self._evaluating[self._evaluating.index(name):], name])
            raise template_error((self._section, name),
                                 f'Circular definition of conditions: {chain}.')
        self._evaluating.append(name)
        try:
            value = self.evaluate(self._definitions[name], (self._section, name))
        finally:
            self._evaluating.pop()
        self._values[name] = value
        return value

    def evaluate(self, expr: Any, path: tuple) -> bool:
        """The boolean value of a condition expression."""
        if isinstance(expr, bool):
            return expr
        if isinstance(expr, str):
            return self.named(expr, path)
        name = builder.function_call(expr, self._known)
        if name is None:
            raise template_error(path, f'Invalid condition {expr!r}: a condition is the '
                                       'name of a condition, a boolean or a condition '
                                       'function.')
        builder.check_available(name, self._scope.version, (*path, name),
                                self._scope.version.condition_functions)
        args, where = expr[name], (*path, name)
        if name in _BOOLEAN_OPS:
            return self._operator(name, args, where)
        value = self._value(expr, path)
        if not isinstance(value, bool):
            raise template_error(path, f'The condition is not a boolean: {value!r}.')
        return value

    def _operator(self, name: str, args: Any, path: tuple) -> bool:
        if name == 'Condition':
            if not isinstance(args, str):
                raise template_error(path, '"Condition" takes the name of a condition.')
            return self.named(args, path)
        if name in ('equals', 'Fn::Equals'):
            if not isinstance(args, list) or len(args) != 2:
                raise template_error(path, f'Arguments to "{name}" must be of the form '
                                           '[value_1, value_2].')
            return self._value(args[0], (*path, 0)) == self._value(args[1], (*path, 1))
        if name == 'contains':
            if not isinstance(args, list) or len(args) != 2:
                raise template_error(path, 'Arguments to "contains" must be of the form '
                                           '[value, sequence].')
            node = builder.FUNCTIONS['contains'](self._scope, path, name,
                                                 [self._value(a, (*path, i))
                                                  for i, a in enumerate(args)])
            return node.result(None)
        if name in ('not', 'Fn::Not'):
            if name == 'Fn::Not' or isinstance(args, list):
                if not isinstance(args, list) or len(args) != 1:
                    raise template_error(path, f'Arguments to "{name}" must be of the '
                                               'form [condition].')
                args = args[0]
            return not self.evaluate(args, (*path, 0) if name == 'Fn::Not' else path)
        # and / or
        if not isinstance(args, list) or len(args) < 2:
            raise template_error(path, f'Arguments to "{name}" must be a list of at least '
                                       'two conditions.')
        values = [self.evaluate(arg, (*path, i)) for i, arg in enumerate(args)]
        return all(values) if name in ('and', 'Fn::And') else any(values)

    def _value(self, snippet: Any, path: tuple) -> Any:
        """A value compared in a condition: only the condition functions apply."""
        name = builder.function_call(snippet, self._known)
        if name is None:
            if isinstance(snippet, dict):
                return {k: self._value(v, (*path, k)) for k, v in snippet.items()}
            if isinstance(snippet, list):
                return [self._value(v, (*path, i)) for i, v in enumerate(snippet)]
            return snippet
        where = (*path, name)
        builder.check_available(name, self._scope.version, where,
                                self._scope.version.condition_functions)
        if name in _BOOLEAN_OPS:
            return self._operator(name, snippet[name], where)
        node = builder.FUNCTIONS[name](self._scope, where, name,
                                       self._value(snippet[name], where))
        node.check()
        if isinstance(node, func_refs.GetParam | func_refs.Ref) and (
                node.parameter_name in self._scope.unknown):
            return None   # validation without values: compared as null
        if not node.static:
            raise template_error(where, f'"{name}" in a condition may only refer to '
                                        'parameters.')
        return node.result(None)


def resource_condition(conditions: Conditions, version: formats.Version, value: Any,
                       path: tuple) -> bool:
    """Whether a resource or output whose ``condition`` is ``value`` exists."""
    if version.kind == formats.CFN and not isinstance(value, str):
        raise template_error(path, 'A Condition must be the name of a condition.')
    return conditions.evaluate(value, path)
