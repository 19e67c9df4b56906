"""Functions that build strings: joins, replacements, splits, digests, URLs."""

import hashlib
import json
import re
import urllib.parse
from typing import Any

from heat_watch.orchestration.template import nodes
from heat_watch.orchestration.template.nodes import Function, is_node


def _is(value: Any, *types: type) -> bool:
    """True when ``value`` has one of the types, or is still unresolved."""
    return is_node(value) or (isinstance(value, types) and not (
        isinstance(value, bool) and bool not in types))


def _text(fn: Function, item: Any, structured: bool) -> str:
    """One item of a join or a replacement as text.

    Numbers and booleans are written as text (Heat refuses them in
    list_join, which only makes templates longer); maps and lists are JSON
    from the versions that allow them (``structured``).
    """
    if item is None:
        return ''
    if isinstance(item, str):
        return item
    if isinstance(item, bool):
        return 'true' if item else 'false'
    if isinstance(item, int | float):
        return str(item)
    if structured and isinstance(item, dict | list):
        return json.dumps(item, sort_keys=True)
    kinds = 'strings, numbers, maps or lists' if structured else 'strings or numbers'
    raise fn.error(f'Items of "{fn.name}" must be {kinds}, not {type(item).__name__}.')


class Join(Function):
    """``list_join: [delimiter, list, list...]`` and ``Fn::Join: [delimiter, list]``."""

    @property
    def _multiple(self) -> bool:
        return self.name == 'list_join' and self.scope.version.date >= '2015-10-15'

    def check(self) -> None:
        args = self.args
        count_ok = (isinstance(args, list) and
                    (len(args) >= 2 if self._multiple else len(args) == 2))
        if not count_ok:
            shape = '[delimiter, list, list...]' if self._multiple else '[delimiter, list]'
            raise self.error(f'Arguments to "{self.name}" must be of the form {shape}.')
        if not _is(args[0], str):
            raise self.error(f'The delimiter of "{self.name}" must be a string.')
        for item in args[1:]:
            if not _is(item, list):
                raise self.error(f'"{self.name}" joins lists: {item!r} is not a list.')

    def result(self, ctx: nodes.ResolveContext | None) -> Any:
        delimiter, *lists = self.resolved_args(ctx)
        if not isinstance(delimiter, str):
            raise self.error(f'The delimiter of "{self.name}" must be a string.')
        items: list[str] = []
        for value in lists:
            if value is None:
                continue   # an attribute without a value yet joins as nothing, as in Heat
            if not isinstance(value, list):
                raise self.error(f'"{self.name}" joins lists: {value!r} is not a list.')
            items.extend(_text(self, item, self._multiple) for item in value)
        return delimiter.join(items)


class Replace(Function):
    """``str_replace: {template, params}`` (and its strict variants),
    ``Fn::Replace: [params, template]``."""

    @property
    def _structured(self) -> bool:
        return self.name != 'Fn::Replace' and self.scope.version.date >= '2015-10-15'

    def _parts(self, args: Any) -> tuple[Any, Any]:
        if self.name == 'Fn::Replace':
            if not isinstance(args, list) or len(args) != 2:
                raise self.error('Arguments to "Fn::Replace" must be of the form '
                                 '[{"key": "value"}, "template"].')
            return args[1], args[0]
        if not isinstance(args, dict) or set(args) != {'template', 'params'}:
            raise self.error(f'Arguments to "{self.name}" must be a map with the keys '
                             '"template" and "params".')
        return args['template'], args['params']

    def check(self) -> None:
        template, params = self._parts(self.args)
        if not _is(template, str):
            raise self.error(f'The template of "{self.name}" must be a string.')
        if not _is(params, dict):
            raise self.error(f'The params of "{self.name}" must be a map.')

    def result(self, ctx: nodes.ResolveContext | None) -> Any:
        template, params = self._parts(self.resolved_args(ctx))
        template = '' if template is None else template
        params = {} if params is None else params
        if not isinstance(template, str):
            raise self.error(f'The template of "{self.name}" must be a string.')
        if not isinstance(params, dict):
            raise self.error(f'The params of "{self.name}" must be a map.')
        values = {str(key): _text(self, value, self._structured)
                  for key, value in params.items()}
        self._check_strict(template, params)
        if not values:
            return template
        # One pass, longest keys first, so that a replacement is never
        # itself replaced and "$var1" wins over "$var".
        keys = sorted(values, key=len, reverse=True)
        pattern = re.compile('|'.join(re.escape(key) for key in keys))
        return pattern.sub(lambda match: values[match.group(0)], template)

    def _check_strict(self, template: str, params: dict) -> None:
        if self.name not in ('str_replace_strict', 'str_replace_vstrict'):
            return
        missing = sorted(str(key) for key in params if str(key) not in template)
        if missing:
            raise self.error(f'The following params were not found in the template: '
                             f'{", ".join(missing)}')
        if self.name == 'str_replace_vstrict':
            empty = sorted(str(key) for key, value in params.items()
                           if value is None or value == '')
            if empty:
                raise self.error(f'The following params have empty values: '
                                 f'{", ".join(empty)}')


class Split(Function):
    """``str_split: [delimiter, string, index]`` and ``Fn::Split: [delimiter, string]``."""

    def check(self) -> None:
        sizes = (2, 3) if self.name == 'str_split' else (2,)
        if not isinstance(self.args, list) or len(self.args) not in sizes:
            shape = ('[delimiter, string, index]' if self.name == 'str_split'
                     else '[delimiter, string]')
            raise self.error(f'Arguments to "{self.name}" must be of the form {shape}.')
        if not _is(self.args[0], str) or not _is(self.args[1], str):
            raise self.error(f'The delimiter and the string of "{self.name}" must be '
                             'strings.')

    def result(self, ctx: nodes.ResolveContext | None) -> Any:
        args = self.resolved_args(ctx)
        delimiter, text = args[0], '' if args[1] is None else args[1]
        if not isinstance(delimiter, str) or not isinstance(text, str):
            raise self.error(f'The delimiter and the string of "{self.name}" must be '
                             'strings.')
        parts = text.split(delimiter) if delimiter else [text]
        if len(args) < 3:
            return parts
        try:
            index = int(args[2])
            if index < 0:
                raise IndexError(index)
            return parts[index]
        except (ValueError, TypeError, IndexError):
            raise self.error(f'Incorrect index to "{self.name}": it should be between 0 '
                             f'and {len(parts) - 1}.')


class Base64(Function):
    """``Fn::Base64: string``: returned as is, as in Heat (the compute driver
    encodes user data itself)."""

    def check(self) -> None:
        if not _is(self.args, str):
            raise self.error('The argument of "Fn::Base64" must be a string.')

    def result(self, ctx: nodes.ResolveContext | None) -> Any:
        value = self.resolved_args(ctx)
        value = '' if value is None else value
        if not isinstance(value, str):
            raise self.error('The argument of "Fn::Base64" must be a string.')
        return value


class Digest(Function):
    """``digest: [algorithm, value]``: the hex digest of a string."""

    ALGORITHMS = ('md5', 'sha1', 'sha224', 'sha256', 'sha384', 'sha512')

    def check(self) -> None:
        if not isinstance(self.args, list) or len(self.args) != 2:
            raise self.error('Arguments to "digest" must be of the form '
                             '[algorithm, value].')
        algorithm = self.args[0]
        if not is_node(algorithm) and algorithm not in self.ALGORITHMS:
            raise self.error(f'Algorithm "{algorithm}" of "digest" is not supported; '
                             f'use one of {", ".join(self.ALGORITHMS)}.')

    def result(self, ctx: nodes.ResolveContext | None) -> Any:
        algorithm, value = self.resolved_args(ctx)
        value = '' if value is None else value
        if algorithm not in self.ALGORITHMS:
            raise self.error(f'Algorithm "{algorithm}" of "digest" is not supported.')
        if not isinstance(value, str):
            raise self.error('The value of "digest" must be a string.')
        return hashlib.new(algorithm, value.encode('utf-8')).hexdigest()


class MakeURL(Function):
    """``make_url: {scheme, username, password, host, port, path, query, fragment}``."""

    KEYS = ('scheme', 'username', 'password', 'host', 'port', 'path', 'query', 'fragment')

    def check(self) -> None:
        if not isinstance(self.args, dict):
            raise self.error('The argument of "make_url" must be a map.')
        unknown = sorted(str(k) for k in set(self.args) - set(self.KEYS))
        if unknown:
            raise self.error(f'Unknown keys of "make_url": {", ".join(unknown)}; it takes '
                             f'{", ".join(self.KEYS)}.')
        if 'host' not in self.args:
            raise self.error('"make_url" needs a "host".')
        if 'query' in self.args and not _is(self.args['query'], dict):
            raise self.error('The "query" of "make_url" must be a map.')

    def result(self, ctx: nodes.ResolveContext | None) -> Any:
        args = self.resolved_args(ctx)
        host = str(args['host'])
        if ':' in host and not host.startswith('['):
            host = f'[{host}]'   # an IPv6 address
        netloc = host
        if args.get('port') not in (None, ''):
            port = args['port']
            try:
                port = int(port)
                if not 1 <= port <= 65535:
                    raise ValueError(port)
            except (TypeError, ValueError):
                raise self.error(f'Invalid port "{port}" of "make_url".')
            netloc = f'{host}:{port}'
        if args.get('username'):
            user = urllib.parse.quote(str(args['username']), safe='')
            if args.get('password'):
                user += ':' + urllib.parse.quote(str(args['password']), safe='')
            netloc = f'{user}@{netloc}'
        path = urllib.parse.quote(str(args.get('path') or ''), safe='/')
        if path and not path.startswith('/'):
            path = '/' + path
        query = args.get('query') or {}
        if not isinstance(query, dict):
            raise self.error('The "query" of "make_url" must be a map.')
        return urllib.parse.urlunsplit((
            str(args.get('scheme') or ''), netloc, path,
            urllib.parse.urlencode(query, doseq=True),
            urllib.parse.quote(str(args.get('fragment') or ''), safe='')))
