"""Functions over lists and maps: select, repeat, merges, concatenation,
filtering."""

import itertools
import json
from typing import Any

from heat_watch.orchestration.template import nodes
from heat_watch.orchestration.template.nodes import Function, is_node


class Select(Function):
    """``Fn::Select: [index, list or map]``: '' when the index is not there, as in Heat."""

    def check(self) -> None:
        if not isinstance(self.args, list) or len(self.args) != 2:
            raise self.error('Arguments to "Fn::Select" must be of the form '
                             '[index, collection].')

    def result(self, ctx: nodes.ResolveContext | None) -> Any:
        index, collection = self.resolved_args(ctx)
        if isinstance(collection, str):
            # a serialised list or map, as a parameter may hand over
            try:
                collection = json.loads(collection)
            except ValueError as exc:
                raise self.error(f'"Fn::Select": the collection is not a list or a map '
                                 f'({exc}).')
        if collection is None:
            return ''
        if isinstance(collection, list):
            try:
                position = int(index)
            except (TypeError, ValueError):
                raise self.error(f'"Fn::Select": index "{index}" must be an integer to '
                                 'select from a list.')
            return collection[position] if 0 <= position < len(collection) else ''
        if isinstance(collection, dict):
            if not isinstance(index, str):
                raise self.error(f'"Fn::Select": index "{index}" must be a string to '
                                 'select from a map.')
            return collection.get(index, '')
        raise self.error('"Fn::Select": the collection must be a list or a map.')


class Repeat(Function):
    """``repeat: {for_each: {var: list, ...}, template: ..., permutations: bool}``."""

    # Permutations multiply: a few lists of a thousand items would make
    # billions of copies. Far more than any stack holds, and still bounded.
    MAX_ITEMS = 100_000

    def check(self) -> None:
        args = self.args
        if not isinstance(args, dict) or not {'for_each', 'template'} <= set(args):
            raise self.error('Arguments to "repeat" must be a map with the keys '
                             '"for_each" and "template".')
        allowed = {'for_each', 'template'}
        if self.scope.version.date >= '2017-09-01':
            allowed.add('permutations')
        unknown = sorted(str(k) for k in set(args) - allowed)
        if unknown:
            raise self.error(f'Unknown keys of "repeat": {", ".join(unknown)}.')
        for_each = args['for_each']
        if not isinstance(for_each, dict) or not for_each:
            raise self.error('"for_each" of "repeat" must be a non-empty map of '
                             'placeholders to lists.')
        for placeholder, values in for_each.items():
            if not (is_node(values) or isinstance(values, list)):
                raise self.error(f'The values of "{placeholder}" in "repeat" must be a '
                                 'list.')
        if not (is_node(args.get('permutations', True))
                or isinstance(args.get('permutations', True), bool)):
            raise self.error('"permutations" of "repeat" must be a boolean.')

    def result(self, ctx: nodes.ResolveContext | None) -> Any:
        args = self.resolved_args(ctx)
        for_each = args['for_each']
        keys = list(for_each)
        lists = [[] if for_each[key] is None else for_each[key] for key in keys]
        for key, values in zip(keys, lists, strict=True):
            if not isinstance(values, list):
                raise self.error(f'The values of "{key}" in "repeat" must be a list.')
        if args.get('permutations', True):
            count = 1
            for values in lists:
                count *= len(values)
            if count > self.MAX_ITEMS:
                raise self.error(f'"repeat" would make {count} items; at most '
                                 f'{self.MAX_ITEMS} are allowed.')
            combinations = itertools.product(*lists)
        else:
            if len({len(values) for values in lists}) > 1:
                raise self.error('With "permutations: false", the lists of "repeat" must '
                                 'be of the same length.')
            combinations = zip(*lists, strict=True)
        return [self._fill(args['template'], dict(zip(keys, combo, strict=True)))
                for combo in combinations]

    def _fill(self, template: Any, values: dict) -> Any:
        if isinstance(template, str):
            for key in sorted(values, key=len, reverse=True):
                if template == key:
                    return values[key]   # a whole placeholder keeps its type
                template = template.replace(key, str(values[key]))
            return template
        if isinstance(template, dict):
            filled = {}
            for key, value in template.items():
                new_key = self._fill(key, values)
                if isinstance(new_key, dict | list):
                    raise self.error(f'"repeat" would make a map key of {new_key!r}: a '
                                     'placeholder used as a key must stand for text.')
                filled[new_key] = self._fill(value, values)
            return filled
        if isinstance(template, list):
            return [self._fill(v, values) for v in template]
        return template


class MapMerge(Function):
    """``map_merge: [map, map...]``: later maps win."""

    def check(self) -> None:
        if not isinstance(self.args, list):
            raise self.error('The argument of "map_merge" must be a list of maps.')
        for item in self.args:
            if not (is_node(item) or isinstance(item, dict) or item is None):
                raise self.error(f'Items to merge with "map_merge" must be maps, not '
                                 f'{item!r}.')

    def result(self, ctx: nodes.ResolveContext | None) -> Any:
        merged: dict = {}
        for item in self.resolved_args(ctx):
            if item is None:
                continue
            if not isinstance(item, dict):
                raise self.error(f'Items to merge with "map_merge" must be maps, not '
                                 f'{item!r}.')
            merged.update(item)
        return merged


class MapReplace(Function):
    """``map_replace: [map, {keys: {old: new}, values: {old: new}}]``."""

    def check(self) -> None:
        if not isinstance(self.args, list) or len(self.args) != 2:
            raise self.error('Arguments to "map_replace" must be of the form '
                             '[map, {"keys": map, "values": map}].')
        replacements = self.args[1]
        if isinstance(replacements, dict):
            unknown = sorted(str(k) for k in set(replacements) - {'keys', 'values'})
            if unknown:
                raise self.error(f'Unknown keys of "map_replace": {", ".join(unknown)}.')

    def result(self, ctx: nodes.ResolveContext | None) -> Any:
        source, replacements = self.resolved_args(ctx)
        source = {} if source is None else source
        replacements = {} if replacements is None else replacements
        if not isinstance(source, dict):
            raise self.error('The first argument of "map_replace" must be a map.')
        if not isinstance(replacements, dict):
            raise self.error('The second argument of "map_replace" must be a map.')
        keys = replacements.get('keys') or {}
        values = replacements.get('values') or {}
        if not isinstance(keys, dict) or not isinstance(values, dict):
            raise self.error('"keys" and "values" of "map_replace" must be maps.')
        result: dict = {}
        for key, value in source.items():
            new_key = keys.get(key, key)
            if new_key in result:
                raise self.error(f'"map_replace" would make the key "{new_key}" twice.')
            hashable = isinstance(value, str | int | float | bool) or value is None
            result[new_key] = values.get(value, value) if hashable else value
        return result


class ListConcat(Function):
    """``list_concat: [list, list...]`` and ``list_concat_unique``."""

    def check(self) -> None:
        if not isinstance(self.args, list):
            raise self.error(f'The argument of "{self.name}" must be a list of lists.')
        for item in self.args:
            if not (is_node(item) or isinstance(item, list) or item is None):
                raise self.error(f'Items to concatenate with "{self.name}" must be lists, '
                                 f'not {item!r}.')

    def result(self, ctx: nodes.ResolveContext | None) -> Any:
        joined: list = []
        for item in self.resolved_args(ctx):
            if item is None:
                continue
            if not isinstance(item, list):
                raise self.error(f'Items to concatenate with "{self.name}" must be lists, '
                                 f'not {item!r}.')
            joined.extend(item)
        if self.name == 'list_concat_unique':
            unique: list = []
            for value in joined:
                if value not in unique:
                    unique.append(value)
            return unique
        return joined


class Filter(Function):
    """``filter: [values to remove, list]``."""

    def check(self) -> None:
        if not isinstance(self.args, list) or len(self.args) != 2:
            raise self.error('Arguments to "filter" must be of the form '
                             '[values_to_remove, list].')

    def result(self, ctx: nodes.ResolveContext | None) -> Any:
        remove, sequence = self.resolved_args(ctx)
        remove = [] if remove is None else remove
        sequence = [] if sequence is None else sequence
        if not isinstance(remove, list) or not isinstance(sequence, list):
            raise self.error('Both arguments of "filter" must be lists.')
        return [value for value in sequence if value not in remove]


class Contains(Function):
    """``contains: [value, sequence]``: True when the value is in the sequence."""

    def check(self) -> None:
        if not isinstance(self.args, list) or len(self.args) != 2:
            raise self.error('Arguments to "contains" must be of the form '
                             '[value, sequence].')

    def result(self, ctx: nodes.ResolveContext | None) -> Any:
        value, sequence = self.resolved_args(ctx)
        if sequence is None:
            return False
        if not isinstance(sequence, list | dict | str):
            raise self.error('The second argument of "contains" must be a list, a map or '
                             'a string.')
        if isinstance(sequence, str) and not isinstance(value, str):
            return False
        if isinstance(sequence, dict) and isinstance(value, dict | list):
            return False   # a map's keys are never maps or lists
        return value in sequence


class MemberListToMap(Function):
    """``Fn::MemberListToMap: [key_name, value_name, ['.member.0.Key=k', ...]]``."""

    def check(self) -> None:
        if not isinstance(self.args, list) or len(self.args) != 3:
            raise self.error('Arguments to "Fn::MemberListToMap" must be of the form '
                             '[key_name, value_name, member_list].')

    def result(self, ctx: nodes.ResolveContext | None) -> Any:
        key_name, value_name, members = self.resolved_args(ctx)
        if not isinstance(key_name, str) or not isinstance(value_name, str):
            raise self.error('The key and value names of "Fn::MemberListToMap" must be '
                             'strings.')
        if not isinstance(members, list):
            raise self.error('The member list of "Fn::MemberListToMap" must be a list.')
        entries: dict[str, dict[str, str]] = {}
        for member in members:
            if not isinstance(member, str) or '=' not in member:
                raise self.error(f'Invalid member "{member}" of "Fn::MemberListToMap".')
            left, value = member.split('=', 1)
            parts = left.strip('.').split('.')
            if len(parts) != 3 or parts[0] != 'member':
                raise self.error(f'Invalid member "{member}" of "Fn::MemberListToMap".')
            entries.setdefault(parts[1], {})[parts[2]] = value
        return {entry[key_name]: entry.get(value_name) for entry in entries.values()
                if key_name in entry}
