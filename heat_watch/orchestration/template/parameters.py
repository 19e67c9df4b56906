"""Parameter declarations (HOT and CFN) and the typing of parameter values."""

import dataclasses
import json
from typing import Any

import regex

from heat_watch.common import exceptions
from heat_watch.orchestration.template import constraints as cons
from heat_watch.orchestration.template import formats
from heat_watch.orchestration.template.nodes import template_error

TYPES = ('String', 'Number', 'CommaDelimitedList', 'Json', 'Boolean')
_HOT_TYPES = {'string': 'String', 'number': 'Number',
              'comma_delimited_list': 'CommaDelimitedList', 'json': 'Json',
              'boolean': 'Boolean'}
_TRUE = ('1', 't', 'true', 'on', 'y', 'yes')
_FALSE = ('0', 'f', 'false', 'off', 'n', 'no')

_NOT_GIVEN = object()


@dataclasses.dataclass(frozen=True)
class ParamSchema:
    """One declared parameter."""

    name: str
    type: str                       # one of TYPES
    path: tuple                     # ('parameters', name)
    default: Any = _NOT_GIVEN
    hidden: bool = False
    label: str | None = None
    description: str = ''
    constraints: tuple = ()
    immutable: bool = False
    tags: tuple = ()

    @property
    def has_default(self) -> bool:
        """True when the template gives a default."""
        return self.default is not _NOT_GIVEN

    def schema(self) -> dict:
        """Heat's validate shape of this parameter."""
        result: dict = {'Type': self.type, 'Description': self.description,
                        'NoEcho': 'true' if self.hidden else 'false',
                        'Label': self.label or self.name}
        if self.has_default:
            result['Default'] = self.default
        descriptions = []
        for constraint in self.constraints:
            result.update(constraint.schema())
            if constraint.description:
                descriptions.append(constraint.description)
        if descriptions:
            result['ConstraintDescription'] = ' '.join(descriptions)
        if self.immutable:
            result['Immutable'] = True
        if self.tags:
            result['Tags'] = list(self.tags)
        return result

    def coerce(self, value: Any) -> Any:
        """The typed value, constraints checked; raises InvalidParameter."""
        try:
            typed = to_type(value, self.type)
            for constraint in self.constraints:
                constraint.check(typed, self.type)
        except (ValueError, TypeError) as exc:
            where = '.'.join(self.path)
            message = str(exc)
            if self.hidden and str(value):
                # a hidden value (a password) never appears in an error
                message = message.replace(str(value), '******')
            raise exceptions.InvalidParameter(
                f"{where}: Parameter '{self.name}' is invalid: {message}")
        return typed


def to_type(value: Any, ptype: str) -> Any:
    """``value`` (as a user or an environment gives it) as a ``ptype``."""
    if ptype == 'String':
        if isinstance(value, bool):
            return 'true' if value else 'false'
        if isinstance(value, str | int | float):
            return str(value)
        raise ValueError(f'Value must be a string, not {type(value).__name__}')
    if ptype == 'Number':
        return _to_number(value)
    if ptype == 'CommaDelimitedList':
        if isinstance(value, list):
            return [str(item) if not isinstance(item, str) else item for item in value]
        if isinstance(value, str):
            return [item.strip() for item in value.split(',')] if value.strip() else []
        raise ValueError(f'Value must be a comma-delimited list string, not '
                         f'{type(value).__name__}')
    if ptype == 'Json':
        if isinstance(value, str):
            try:
                value = json.loads(value) if value.strip() else {}
            except ValueError as exc:
                raise ValueError(f'Value must be valid JSON: {exc}')
        if not isinstance(value, dict | list):
            raise ValueError('Value must be a JSON map or list')
        return value
    if ptype == 'Boolean':
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise ValueError(f'Unrecognized value "{value}", acceptable values are: '
                         f'{", ".join(_TRUE + _FALSE)}')
    raise ValueError(f'Unknown parameter type {ptype}')


def _to_number(value: Any) -> int | float:
    if isinstance(value, bool):
        raise ValueError(f'Value "{value}" is not a number')
    if isinstance(value, int | float):
        return value
    if isinstance(value, str):
        try:
            return int(value)
        except ValueError:
            try:
                return float(value)
            except ValueError:
                pass
    raise ValueError(f'Value "{value}" is not a number')


def _key_error(path: tuple, message: str) -> exceptions.InvalidTemplate:
    return template_error(path, message)


def parse_hot(name: str, body: Any, version: formats.Version) -> ParamSchema:
    """A HOT parameter declaration."""
    path = ('parameters', name)
    if not isinstance(body, dict):
        raise _key_error(path, 'A parameter must be a map with at least a "type".')
    unknown = sorted(str(k) for k in set(body) - version.parameter_keys)
    if unknown:
        raise _key_error(path, f'Invalid key(s) {", ".join(unknown)} for parameter '
                               f'({name}); {version.key} accepts '
                               f'{", ".join(sorted(version.parameter_keys))}.')
    if 'type' not in body:
        raise _key_error(path, f'Missing parameter type for parameter: {name}')
    ptype = _HOT_TYPES.get(body['type']) if isinstance(body['type'], str) else None
    if ptype is None:
        raise _key_error(path, f'Invalid type ({body["type"]}); it must be one of '
                               f'{", ".join(_HOT_TYPES)}.')
    constraints = tuple(_hot_constraint(item, ptype, version, (*path, 'constraints', i))
                        for i, item in enumerate(_as_list(body.get('constraints'),
                                                          (*path, 'constraints'))))
    schema = ParamSchema(
        name=name, type=ptype, path=path, hidden=_flag(body.get('hidden'), path),
        label=body.get('label'), description=body.get('description') or '',
        constraints=constraints, immutable=_flag(body.get('immutable'), path),
        tags=tuple(body.get('tags') or ()))
    return _with_default(schema, body, 'default')


def parse_cfn(name: str, body: Any, version: formats.Version) -> ParamSchema:
    """A CFN parameter declaration."""
    path = ('Parameters', name)
    if not isinstance(body, dict):
        raise _key_error(path, 'A parameter must be a map with at least a "Type".')
    unknown = sorted(str(k) for k in set(body) - version.parameter_keys)
    if unknown:
        raise _key_error(path, f'Invalid key(s) {", ".join(unknown)} for parameter '
                               f'({name}).')
    ptype = body.get('Type')
    if ptype is None:
        raise _key_error(path, f'Missing parameter type for parameter: {name}')
    if ptype not in TYPES:
        raise _key_error(path, f'Invalid type ({ptype}); it must be one of '
                               f'{", ".join(TYPES)}.')
    description = body.get('ConstraintDescription')
    found: list[cons.Constraint] = []
    if 'AllowedValues' in body:
        found.append(cons.AllowedValues(description, tuple(_as_list(
            body['AllowedValues'], (*path, 'AllowedValues')))))
    if 'AllowedPattern' in body:
        found.append(cons.AllowedPattern(description, _pattern(body['AllowedPattern'],
                                                               (*path, 'AllowedPattern'))))
    if 'MinLength' in body or 'MaxLength' in body:
        found.append(cons.Length(description,
                                 _int(body.get('MinLength'), (*path, 'MinLength')),
                                 _int(body.get('MaxLength'), (*path, 'MaxLength'))))
    if 'MinValue' in body or 'MaxValue' in body:
        found.append(cons.Range(description,
                                _num(body.get('MinValue'), (*path, 'MinValue')),
                                _num(body.get('MaxValue'), (*path, 'MaxValue'))))
    for constraint in found:
        _check_applies(constraint, ptype, path)
    schema = ParamSchema(
        name=name, type=ptype, path=path, hidden=_flag(body.get('NoEcho'), path),
        label=body.get('Label'), description=body.get('Description') or '',
        constraints=tuple(found))
    return _with_default(schema, body, 'Default')


def _with_default(schema: ParamSchema, body: dict, key: str) -> ParamSchema:
    # "default:" with nothing after it is no default, as in Heat
    if body.get(key) is None:
        return schema
    default = body[key]
    try:
        typed = to_type(default, schema.type)
        for constraint in schema.constraints:
            constraint.check(typed, schema.type)
    except (ValueError, TypeError) as exc:
        raise _key_error((*schema.path, key), f'The default of parameter '
                                              f'({schema.name}) is invalid: {exc}')
    return dataclasses.replace(schema, default=default)


_HOT_CONSTRAINT_KEYS = ('allowed_values', 'allowed_pattern', 'length', 'range', 'modulo',
                        'custom_constraint')


def _hot_constraint(item: Any, ptype: str, version: formats.Version,
                    path: tuple) -> cons.Constraint:
    if not isinstance(item, dict):
        raise _key_error(path, 'A constraint must be a map.')
    description = item.get('description')
    kinds = [key for key in item if key != 'description']
    if len(kinds) != 1 or kinds[0] not in _HOT_CONSTRAINT_KEYS:
        raise _key_error(path, f'A constraint has one of {", ".join(_HOT_CONSTRAINT_KEYS)} '
                               f'(and an optional description), not {", ".join(map(str, kinds))}.')
    kind = kinds[0]
    arg, where = item[kind], (*path, kind)
    if kind == 'allowed_values':
        constraint: cons.Constraint = cons.AllowedValues(
            description, tuple(_as_list(arg, where)))
    elif kind == 'allowed_pattern':
        constraint = cons.AllowedPattern(description, _pattern(arg, where))
    elif kind == 'length':
        bounds = _bounds(arg, where, ('min', 'max'))
        constraint = cons.Length(description, _int(bounds.get('min'), where),
                                 _int(bounds.get('max'), where))
    elif kind == 'range':
        bounds = _bounds(arg, where, ('min', 'max'))
        constraint = cons.Range(description, _num(bounds.get('min'), where),
                                _num(bounds.get('max'), where))
    elif kind == 'modulo':
        if not version.has_modulo:
            raise _key_error(where, f'The modulo constraint is not available in template '
                                    f'version {version.key} (it came with 2017-02-24).')
        bounds = _bounds(arg, where, ('step', 'offset'))
        step, offset = _int(bounds.get('step'), where), _int(bounds.get('offset'), where)
        if step is None or offset is None or step <= 0 or not 0 <= offset < step:
            raise _key_error(where, 'modulo needs a positive "step" and an "offset" '
                                    'with 0 <= offset < step.')
        constraint = cons.Modulo(description, step, offset)
    else:
        if not isinstance(arg, str):
            raise _key_error(where, 'custom_constraint takes a constraint name.')
        constraint = cons.CustomConstraint(description, arg)
    _check_applies(constraint, ptype, where)
    return constraint


def _check_applies(constraint: cons.Constraint, ptype: str, path: tuple) -> None:
    if ptype not in constraint.types:
        kind = type(constraint).__name__
        raise _key_error(path, f'Invalid {kind} constraint for a parameter of type '
                               f'{ptype}.')


def _bounds(arg: Any, path: tuple, keys: tuple) -> dict:
    if not isinstance(arg, dict) or not arg or set(arg) - set(keys):
        raise _key_error(path, f'Expected a map with {" and/or ".join(keys)}.')
    return arg


def _as_list(value: Any, path: tuple) -> list:
    if value is None:
        return []
    if not isinstance(value, list):
        raise _key_error(path, 'Expected a list.')
    return value


def _pattern(value: Any, path: tuple) -> str:
    if not isinstance(value, str):
        raise _key_error(path, 'The pattern must be a string.')
    try:
        regex.compile(value)
    except regex.error as exc:
        raise _key_error(path, f'Invalid pattern "{value}": {exc}')
    return value


def _int(value: Any, path: tuple) -> int | None:
    if value is None:
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        raise _key_error(path, f'"{value}" is not an integer.')


def _num(value: Any, path: tuple) -> float | None:
    if value is None:
        return None
    try:
        return _to_number(value)
    except ValueError:
        raise _key_error(path, f'"{value}" is not a number.')


def _flag(value: Any, path: tuple) -> bool:
    if value is None:
        return False
    try:
        return to_type(value, 'Boolean')
    except ValueError as exc:
        raise _key_error(path, str(exc))
