"""Property schemas of resource types: types, required, defaults, constraints
and which properties may change without replacing the resource.

Validation turns the resolved properties of a definition into the values a
plugin reads (defaults filled in, numbers and booleans coerced as Heat does),
or raises InvalidTemplate naming ``Resources.<name>.Properties.<property>``.
"""

import dataclasses
import json
from typing import Any

from heat_watch.common import exceptions

STRING, INTEGER, NUMBER, BOOLEAN, LIST, MAP, ANY = (
    'string', 'integer', 'number', 'boolean', 'list', 'map', 'any')
_TRUE = ('true', 'yes', 'on', '1', 't', 'y')
_FALSE = ('false', 'no', 'off', '0', 'f', 'n')


@dataclasses.dataclass(frozen=True)
class Property:
    """One property of a resource type."""

    type: str
    description: str = ''
    required: bool = False
    default: Any = None
    update_allowed: bool = False
    allowed_values: tuple | None = None
    min_value: float | None = None
    max_value: float | None = None

    def to_dict(self) -> dict:
        """The schema as ``GET /resource_types/{type}`` shows it (Heat's shape)."""
        shown = {'type': self.type, 'description': self.description,
                 'required': self.required, 'update_allowed': self.update_allowed,
                 'immutable': False}
        if self.default is not None:
            shown['default'] = self.default
        constraints = []
        if self.allowed_values is not None:
            constraints.append({'allowed_values': list(self.allowed_values)})
        if self.min_value is not None or self.max_value is not None:
            bounds = {k: v for k, v in (('min', self.min_value), ('max', self.max_value))
                      if v is not None}
            constraints.append({'range': bounds})
        if constraints:
            shown['constraints'] = constraints
        return shown


def coerce(kind: str, value: Any) -> Any:
    """``value`` as a ``kind``; ValueError when it cannot be one."""
    if kind == ANY:
        return value
    if kind == STRING:
        if isinstance(value, dict | list):
            raise ValueError('Value must be a string')
        return value if isinstance(value, str) else (
            json.dumps(value) if isinstance(value, bool) else str(value))
    if kind == INTEGER:
        if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
            raise ValueError('Value must be an integer')
        try:
            return int(value)
        except (TypeError, ValueError):
            raise ValueError('Value must be an integer, not %r' % (value,))
    if kind == NUMBER:
        if isinstance(value, bool):
            raise ValueError('Value must be a number')
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise ValueError('Value must be a number, not %r' % (value,))
        return int(number) if number.is_integer() and not isinstance(value, float) else number
    if kind == BOOLEAN:
        if isinstance(value, bool):
            return value
        text = str(value).lower()
        if text in _TRUE or text in _FALSE:
            return text in _TRUE
        raise ValueError('Value must be a boolean')
    if kind == LIST:
        if isinstance(value, str):
            return [item.strip() for item in value.split(',')] if value else []
        if not isinstance(value, list):
            raise ValueError('Value must be a list')
        return value
    if kind == MAP:
        if not isinstance(value, dict):
            raise ValueError('Value must be a map')
        return value
    raise ValueError('Unknown property type %s' % kind)


def _check(schema: Property, value: Any) -> None:
    if schema.allowed_values is not None and value not in schema.allowed_values:
        raise ValueError('"%s" is not an allowed value %s' % (value, list(schema.allowed_values)))
    if schema.min_value is not None and value < schema.min_value:
        raise ValueError('%s is out of range (min: %s)' % (value, schema.min_value))
    if schema.max_value is not None and value > schema.max_value:
        raise ValueError('%s is out of range (max: %s)' % (value, schema.max_value))


def validate(schema: dict[str, Property], values: dict | None, where: str) -> dict:
    """The properties a plugin reads: every schema key, defaults filled in.

    ``where`` is the place in the template (``Resources.r.Properties``).
    """
    values = values or {}
    if not isinstance(values, dict):
        raise exceptions.InvalidTemplate('%s: Properties must be a map' % where)
    unknown = sorted(set(values) - set(schema))
    if unknown:
        raise exceptions.InvalidTemplate('%s: Unknown Property %s' % (where, unknown[0]))
    result = {}
    for name, prop in schema.items():
        value = values.get(name)
        if value is None:
            if prop.required:
                raise exceptions.InvalidTemplate(
                    '%s.%s: Property %s not assigned' % (where, name, name))
            result[name] = prop.default
            continue
        try:
            result[name] = coerce(prop.type, value)
            _check(prop, result[name])
        except (TypeError, ValueError) as error:
            raise exceptions.InvalidTemplate('%s.%s: %s' % (where, name, error))
    return result
