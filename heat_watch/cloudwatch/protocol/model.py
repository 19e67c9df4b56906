"""The CloudWatch (2010-08-01) service model, compiled for the server codecs.

botocore ships the model AWS publishes; we use it only as *data* (shape
definitions), loaded once and compiled into small :class:`Shape` objects the
Query and JSON codecs walk. Nothing here calls botocore's client-side
serializers or parsers.

It also holds what both codecs share: scalar coercion from text
(:func:`parse_timestamp` and friends), Query-style parameter names for
messages, and :func:`missing_required`.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import functools
import threading
from collections.abc import Callable, Mapping
from typing import Any

from botocore.loaders import Loader

from heat_watch.cloudwatch import errors

SERVICE_NAME = 'cloudwatch'
API_VERSION = '2010-08-01'
XML_NAMESPACE = 'http://monitoring.amazonaws.com/doc/2010-08-01/'
# The namespace real CloudWatch puts before modelled error shapes in JSON
# '__type' (e.g. 'com.amazonaws.cloudwatch#ResourceNotFound').
SMITHY_NAMESPACE = 'com.amazonaws.cloudwatch'

UTC = datetime.UTC
# Shapes and the codecs' closures register themselves before their members
# are compiled (so recursive shapes terminate): another thread must not see
# them half built. Compilation happens once per operation, under this lock.
COMPILE_LOCK = threading.RLock()
_INT_LIMITS = {'integer': (-2 ** 31, 2 ** 31 - 1), 'long': (-2 ** 63, 2 ** 63 - 1)}
_TYPE_WORDS = {'integer': 'an integer', 'long': 'a long integer',
               'double': 'a double', 'float': 'a double',
               'boolean': "a boolean ('true' or 'false')",
               'timestamp': 'a timestamp (ISO 8601 or epoch seconds)',
               'blob': 'base64-encoded data'}


class Shape:
    """One compiled shape of the model.

    ``fields`` (structures) is a tuple of ``(member name, wire name, shape)``
    in model order; the wire name is the member's ``locationName`` if any.
    ``member_name`` is the Query/XML element name of list items.
    """

    __slots__ = ('fields', 'key', 'key_name', 'member', 'member_name',
                 'members', 'name', 'required', 'type', 'value', 'value_name')

    def __init__(self, name: str, type_: str):
        self.name = name
        self.type = type_
        self.fields: tuple[tuple[str, str, Shape], ...] = ()
        self.members: dict[str, Shape] = {}
        self.required: tuple[str, ...] = ()
        self.member: Shape | None = None
        self.member_name = 'member'
        self.key: Shape | None = None
        self.value: Shape | None = None
        self.key_name = 'key'
        self.value_name = 'value'

    def __repr__(self) -> str:
        return f'<Shape {self.name} ({self.type})>'


class _Model:
    """The loaded service model and its compiled shapes (built lazily)."""

    def __init__(self, raw: Mapping[str, Any]):
        self.raw = raw
        self.metadata = raw['metadata']
        self.operations = raw['operations']
        self._shapes: dict[str, Shape] = {}
        # AWS error code -> modelled exception shape name, preferring a
        # shape named like the code (two shapes use 'ResourceNotFound').
        self.error_shapes: dict[str, str] = {}
        for name, spec in raw['shapes'].items():
            if spec.get('exception'):
                code = spec.get('error', {}).get('code', name)
                if code == name or code not in self.error_shapes:
                    self.error_shapes[code] = name

    def shape(self, name: str) -> Shape:
        """The compiled shape ``name``; recursion-safe via the cache."""
        shape = self._shapes.get(name)
        if shape is not None:
            return shape
        spec = self.raw['shapes'][name]
        if spec.get('flattened'):  # CloudWatch has none; the codecs assume so
            raise NotImplementedError(f'flattened shape {name}')
        shape = self._shapes[name] = Shape(name, spec['type'])
        if shape.type == 'structure':
            shape.fields = tuple(
                (member, ref.get('locationName', member), self.shape(ref['shape']))
                for member, ref in spec['members'].items())
            shape.members = {member: sub for member, _, sub in shape.fields}
            shape.required = tuple(spec.get('required', ()))
        elif shape.type == 'list':
            ref = spec['member']
            shape.member = self.shape(ref['shape'])
            shape.member_name = ref.get('locationName', 'member')
        elif shape.type == 'map':
            shape.key = self.shape(spec['key']['shape'])
            shape.value = self.shape(spec['value']['shape'])
            shape.key_name = spec['key'].get('locationName', 'key')
            shape.value_name = spec['value'].get('locationName', 'value')
        return shape


@functools.cache
def _model() -> _Model:
    # Loading the JSON model costs tens of ms; do it once per process.
    return _Model(Loader().load_service_model(SERVICE_NAME, 'service-2'))


@functools.cache
def operation_names() -> frozenset[str]:
    """Names of every operation of the API (e.g. 'PutMetricData')."""
    return frozenset(_model().operations)


def _operation(operation: str) -> Mapping[str, Any]:
    try:
        return _model().operations[operation]
    except KeyError:
        raise KeyError(f'Unknown CloudWatch operation {operation!r}') from None


@functools.cache
def input_shape(operation: str) -> Shape | None:
    """The compiled input shape of ``operation`` (None if it takes none).

    Raises KeyError for an unknown operation.
    """
    ref = _operation(operation).get('input')
    with COMPILE_LOCK:
        return _model().shape(ref['shape']) if ref else None


@functools.cache
def output_shape(operation: str) -> Shape | None:
    """The compiled output shape of ``operation`` (None if it has none).

    Raises KeyError for an unknown operation.
    """
    ref = _operation(operation).get('output')
    with COMPILE_LOCK:
        return _model().shape(ref['shape']) if ref else None


def compile_input(operation: str, compile_shape: Callable[[Shape], Any]) -> Any:
    """``compile_shape`` of the operation's input shape, under the compile
    lock (None if it takes none); each protocol compiles its own parser.

    Raises KeyError for an unknown operation.
    """
    shape = input_shape(operation)
    if shape is None:
        return None
    with COMPILE_LOCK:
        return compile_shape(shape)


def result_wrapper(operation: str) -> str:
    """The Query protocol's result element name, e.g. 'ListMetricsResult'."""
    ref = _operation(operation).get('output') or {}
    return ref.get('resultWrapper', operation + 'Result')


def error_type(code: str) -> str:
    """JSON '__type' for an AWS error code, as real CloudWatch spells it.

    Modelled errors are namespace-qualified shape names; others (auth,
    serialization, unknown operation) are sent as the plain code.
    """
    shape = _model().error_shapes.get(code)
    return f'{SMITHY_NAMESPACE}#{shape}' if shape else code


# -- scalar coercion shared by both codecs ----------------------------------

class BadValue(Exception):
    """A value that does not fit its shape.

    Raised without the parameter name, which costs string work on every
    value; container parsers append their path segment while the exception
    unwinds, and the codec's entry point turns it into an AWS error with
    :meth:`error`.
    """

    def __init__(self, template: str, value: Any = None,
                 error_class: type[errors.AWSError] = errors.InvalidParameterValue):
        super().__init__(template)
        self.template = template  # uses %(path)s and %(value)s
        self.value = value
        self.error_class = error_class
        self.path: list[str] = []  # innermost segment first

    def error(self) -> errors.AWSError:
        """The AWS error naming the Query-style parameter, e.g. 'A.member.1.B'."""
        path = '.'.join(reversed(self.path)) or 'the request'
        return self.error_class(self.template % {'path': path, 'value': self.value})


def must_be(type_: str) -> BadValue:
    """The BadValue for text that is not of the form ``type_`` needs."""
    return BadValue(f'The parameter %(path)s must be {_TYPE_WORDS.get(type_, type_)}.')


def check_integer(value: int, type_: str) -> int:
    """``value`` if it fits the 32/64-bit range of ``type_``."""
    low, high = _INT_LIMITS[type_]
    if not low <= value <= high:
        raise BadValue('The value %(value)s for parameter %(path)s is out of range.', value)
    return value


def check_double(value: float) -> float:
    """``value`` unless it is NaN or infinite, which CloudWatch rejects."""
    if value - value:  # NaN for NaN and +-inf, 0.0 otherwise
        raise BadValue('The value %(value)s for parameter %(path)s is invalid.', value)
    return value


def parse_integer(text: str, type_: str) -> int:
    """An integer/long from text; rejects Python-only forms such as '1_0'."""
    try:
        if '_' in text:
            raise ValueError(text)
        value = int(text)
    except ValueError:
        raise must_be(type_) from None
    return check_integer(value, type_)


def parse_double(text: str) -> float:
    """A finite double from text."""
    try:
        value = float(text)
    except ValueError:
        raise must_be('double') from None
    if value - value or '_' in text:  # rare: non-finite or '1_0'
        if '_' in text:
            raise must_be('double')
        check_double(value)
    return value


def parse_boolean(text: str) -> bool:
    """'true'/'false', case-insensitively."""
    lowered = text.lower()
    if lowered == 'true':
        return True
    if lowered == 'false':
        return False
    raise must_be('boolean')


def from_epoch(seconds: float) -> datetime.datetime:
    """An aware UTC datetime from epoch seconds."""
    try:
        return datetime.datetime.fromtimestamp(seconds, UTC)
    except (ValueError, OverflowError, OSError):
        raise must_be('timestamp') from None


def parse_timestamp(text: str) -> datetime.datetime:
    """An aware UTC datetime from ISO 8601 (any fraction, Z/offset/naive)
    or from epoch seconds."""
    text = text.strip()
    # Pure numbers are epoch seconds; test first since fromisoformat would
    # read '20261123' as a basic-format date.
    if text[:1].isdigit() or text[:1] in ('+', '-', '.'):
        try:
            if '_' not in text:
                return from_epoch(float(text))
        except ValueError:
            pass
    try:
        value = datetime.datetime.fromisoformat(text)
    except ValueError:
        raise must_be('timestamp') from None
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def to_utc(value: datetime.datetime | float | str) -> datetime.datetime:
    """An aware UTC datetime from an output value: a datetime (naive means
    UTC), epoch seconds, or ISO 8601 text."""
    if isinstance(value, datetime.datetime):
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC) if value.utcoffset() else value
    if isinstance(value, str):
        return parse_timestamp(value)
    return datetime.datetime.fromtimestamp(value, UTC)


def parse_blob(text: str) -> bytes:
    """Bytes from base64 text."""
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise must_be('blob') from None


# -- required members --------------------------------------------------------

def missing_required(operation: str, data: Mapping[str, Any]) -> list[str]:
    """Query-style names of required members absent from ``data``.

    Walks nested structures, lists and maps, e.g.
    ``['Namespace', 'MetricData.member.2.MetricName']``.
    """
    shape = input_shape(operation)
    missing: list[str] = []
    if shape is not None:
        _collect_missing(shape, data, '', missing)
    return missing


def _collect_missing(shape: Shape, value: Any, path: str, out: list[str]) -> None:
    # ``path`` is the Query-style name of ``value`` ('' for the input itself).
    if shape.type == 'structure' and isinstance(value, Mapping):
        base = path + '.' if path else ''
        out.extend(base + wire for name, wire, _ in shape.fields
                   if name in shape.required and value.get(name) is None)
        for name, wire, sub in shape.fields:
            if sub.type in _CONTAINERS and value.get(name) is not None:
                _collect_missing(sub, value[name], base + wire, out)
    elif shape.type == 'list' and isinstance(value, list):
        for index, element in enumerate(value, 1):
            _collect_missing(shape.member, element,
                             f'{path}.{shape.member_name}.{index}', out)
    elif shape.type == 'map' and isinstance(value, Mapping):
        for index, element in enumerate(value.values(), 1):
            _collect_missing(shape.value, element,
                             f'{path}.entry.{index}.{shape.value_name}', out)


_CONTAINERS = frozenset(('structure', 'list', 'map'))
