"""Reading template and environment text: JSON or YAML into plain data.

YAML's implicit timestamps are read as strings, as Heat does, so that
``heat_template_version: 2016-10-14`` stays the text ``'2016-10-14'``
instead of becoming a ``datetime.date``.
"""

import json
from typing import Any

import yaml

from heat_watch.common import exceptions


class _Loader(yaml.CSafeLoader if hasattr(yaml, 'CSafeLoader') else yaml.SafeLoader):
    """A safe YAML loader whose timestamps are plain strings."""


def _timestamp_as_text(loader: yaml.SafeLoader, node: yaml.Node) -> str:
    return loader.construct_scalar(node)


_Loader.add_constructor('tag:yaml.org,2002:timestamp', _timestamp_as_text)


def load_mapping(body: str | bytes | dict, what: str = 'template') -> dict:
    """The mapping that ``body`` (JSON text, YAML text or a dict) holds.

    Raises the error class of ``what`` (InvalidTemplate or InvalidEnvironment)
    when the text is not JSON/YAML or does not hold a mapping.
    """
    error = (exceptions.InvalidEnvironment if what == 'environment'
             else exceptions.InvalidTemplate)
    if isinstance(body, dict):
        _check_shape(body, what, error)
        return body
    if isinstance(body, bytes):
        try:
            body = body.decode('utf-8')
        except UnicodeDecodeError:
            raise error(reason=f'The {what} is not UTF-8 text.')
    if not isinstance(body, str):
        raise error(reason=f'The {what} must be a JSON or YAML mapping, '
                           f'not {type(body).__name__}.')
    data = _parse_text(body, what, error)
    if data is None and what == 'environment':
        return {}
    if not isinstance(data, dict):
        raise error(reason=f'The {what} is not a JSON or YAML mapping.')
    _check_shape(data, what, error)
    return data


# Bounds on what one document may hold once YAML aliases are expanded:
# without them, a few lines of nested aliases ("billion laughs") would make
# every later walk of the template take hours, and deep nesting would reach
# Python's recursion limit.
MAX_NODES = 1_000_000
MAX_DEPTH = 200


def _check_shape(data: Any, what: str, error: type) -> None:
    count = 0
    todo = [(data, 1)]
    while todo:
        value, depth = todo.pop()
        count += 1
        if count > MAX_NODES:
            raise error(reason=f'The {what} is too large: more than {MAX_NODES} values '
                               '(YAML aliases count once per use).')
        if depth > MAX_DEPTH:
            raise error(reason=f'The {what} is nested deeper than {MAX_DEPTH} levels.')
        if isinstance(value, dict):
            todo.extend((item, depth + 1) for item in value.values())
        elif isinstance(value, list):
            todo.extend((item, depth + 1) for item in value)


def _parse_text(text: str, what: str, error: type) -> Any:
    if text.lstrip().startswith('{'):
        try:
            return json.loads(text)
        except RecursionError:
            raise error(reason=f'The {what} is nested deeper than {MAX_DEPTH} levels.')
        except ValueError as exc:
            # JSON is a subset of YAML: a document that JSON refuses may
            # still be valid YAML flow style, so YAML gets the last word.
            try:
                return yaml.load(text, Loader=_Loader)  # noqa: S506 (safe loader)
            except yaml.YAMLError:
                raise error(reason=f'Error parsing {what} as JSON: {exc}')
    try:
        return yaml.load(text, Loader=_Loader)  # noqa: S506 (safe loader)
    except RecursionError:
        raise error(reason=f'The {what} is nested deeper than {MAX_DEPTH} levels.')
    except yaml.YAMLError as exc:
        raise error(reason=f'Error parsing {what} as YAML: {exc}')
