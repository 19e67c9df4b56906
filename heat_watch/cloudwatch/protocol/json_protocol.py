"""The AWS JSON 1.0 protocol of the CloudWatch API, as current botocore uses it.

Requests are ``POST /`` with ``X-Amz-Target: GraniteServiceVersion20100801.
<Operation>`` and a JSON body whose members follow the input shape; we turn
the body into the very dict :func:`query.parse_params` produces for the same
request. Responses are JSON (timestamps as epoch seconds); errors carry
'__type' plus the ``x-amzn-query-error`` header, which botocore reads for
services marked ``awsQueryCompatible`` (CloudWatch is) so that clients see
the Query-era error codes ('ResourceNotFound', 'InvalidParameterValue').

Type mismatches are SerializationException; well-typed values outside what
the shape allows (NaN, a malformed timestamp string) are
InvalidParameterValue, with the same Query-style names in messages as the
Query codec. Bodies are decoded by orjson (~4x faster than the standard
json module; it is retried on what orjson refuses, such as NaN literals),
and answers encoded by it (see :func:`encode_json`).
PutMetricData has a faster path still:
:mod:`heat_watch.cloudwatch.actions.fast_put`.
"""

from __future__ import annotations

import base64
import datetime
import functools
import json
import math
import re
from collections.abc import Callable, Mapping
from typing import Any

import orjson

from heat_watch.cloudwatch import errors
from heat_watch.cloudwatch.protocol import model

CONTENT_TYPE = 'application/x-amz-json-1.0'
TARGET_PREFIX = 'GraniteServiceVersion20100801'
QUERY_ERROR_HEADER = 'x-amzn-query-error'

_Parse = Callable[[Any], Any]
_JSON_TYPES = {dict: 'an object', list: 'an array', str: 'a string', bool: 'a boolean',
               int: 'a number', float: 'a number', type(None): 'null'}
# botocore sends non-finite doubles as these strings.
_SPECIAL_DOUBLES = {'NaN', 'Infinity', '-Infinity'}
# Deepest nesting of objects and arrays a body may have. CloudWatch's
# deepest input (GetMetricData's MetricDataQueries[].MetricStat.Metric.
# Dimensions[]) is 7 levels; past a few hundred, decoders recurse out of stack.
MAX_DEPTH = 32
_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"')
_NOT_BRACKETS = bytes(range(256)).translate(None, b'[]{}')
_INNERMOST = re.compile(rb'\{\}|\[\]')


def operation_from_target(target: str) -> str:
    """'GraniteServiceVersion20100801.PutMetricData' -> 'PutMetricData'.

    Raises UnknownOperationException for any other target.
    """
    prefix, _, operation = (target or '').partition('.')
    if prefix != TARGET_PREFIX or operation not in model.operation_names():
        raise errors.UnknownOperationException(f'Unknown operation {target}.')
    return operation


# -- parsing -------------------------------------------------------------------


def parse_body(operation: str, body: bytes | str) -> dict:
    """A JSON request body -> the operation's input dict (empty body: {}).

    Members the shape does not know and JSON nulls are ignored; required
    members are not checked (see :func:`model.missing_required`).
    """
    return parse_data(operation, decode_body(operation, body))


def decode_body(operation: str, body: bytes | str) -> Any:
    """The JSON value of a request body (empty body: {}), not yet checked."""
    if operation not in model.operation_names():
        raise errors.UnknownOperationException(f'Unknown operation {operation}.')
    if not body or not body.strip():
        return {}
    raw = body.encode('utf-8', 'surrogatepass') if isinstance(body, str) else body
    if too_deep(raw):
        raise errors.SerializationException(
            'The request body nests objects and arrays deeper than %d levels.' % MAX_DEPTH)
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError:
        value = _decode_leniently(raw)
    # A NUL can only come from a \u0000 escape; PostgreSQL stores no such
    # string, and one bad request would fail the commit it shares.
    if b'\\u0000' in raw and _strings_holding(value, '\x00'):
        raise errors.InvalidParameterValue(
            'The request holds a NUL character (\\u0000), which no parameter may contain.')
    return value


def too_deep(raw: bytes, limit: int = MAX_DEPTH) -> bool:
    """Whether the JSON text ``raw`` nests objects/arrays past ``limit``.

    Checked on the bytes, before any decoder recurses: a body with fewer
    brackets than the limit (most of them) costs two counts; otherwise
    strings are cut out, the brackets kept, and innermost pairs removed one
    level at a time, each step in C (~1.5 ms for a 220 KB body with
    thousands of brackets, a tenth of decoding and parsing it). Unbalanced
    brackets are left for the decoder to refuse.
    """
    if raw.count(b'{') + raw.count(b'[') <= limit:
        return False
    if b'\\' in raw:  # an escaped quote may sit inside a string
        outside = _STRING.sub(b'', raw)
    else:
        outside = b''.join(raw.split(b'"')[::2])
    brackets = outside.translate(None, _NOT_BRACKETS)
    for _ in range(limit):
        size = len(brackets)
        brackets = _INNERMOST.sub(b'', brackets)
        if not brackets or len(brackets) == size:
            return False
    return True


def _decode_leniently(raw: bytes) -> Any:
    """The json module's reading: it also takes NaN, Infinity and huge numbers."""
    try:
        value = json.loads(raw)
    except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
        raise errors.SerializationException('The request body is not valid JSON.') from None
    # orjson refuses "\ud800"-style lone surrogates; the json module takes
    # them, and no database can store such a string.
    if _strings_holding(value, None):
        raise errors.SerializationException(
            'The request body is not valid JSON: a string holds a lone UTF-16 surrogate.')
    return value


def _strings_holding(value: Any, char: str | None) -> bool:
    """Whether a string (key or value) in ``value`` holds ``char``, or, with
    None, is not valid Unicode (a lone surrogate)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if char is not None:
                if char in item:
                    return True
            elif not item.isascii():
                try:
                    item.encode('utf-8')
                except UnicodeEncodeError:
                    return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def parse_data(operation: str, data: Any) -> dict:
    """A decoded JSON body -> the operation's input dict."""
    parse = _input_parser(operation)
    try:
        if data.__class__ is not dict:
            raise _wrong_type('an object', data)
        return parse(data) if parse is not None else {}
    except model.BadValue as exc:
        raise exc.error() from None


@functools.cache
def _input_parser(operation: str) -> _Parse | None:
    return model.compile_input(operation, _parser)


def _wrong_type(expected: str, value: Any) -> model.BadValue:
    return model.BadValue(
        f'Expected {expected} for %(path)s but found {_json_type(value)}.',
        error_class=errors.SerializationException)


def _json_type(value: Any) -> str:
    return _JSON_TYPES.get(value.__class__, 'a value')


def _is_number(value: Any) -> bool:
    return value.__class__ is int or value.__class__ is float


def _parse_string(value: Any) -> str:
    if value.__class__ is not str:
        raise _wrong_type('a string', value)
    return value


def _integer_parser(type_: str) -> _Parse:
    def parse(value: Any) -> int:
        if value.__class__ is float and value.is_integer():
            value = int(value)
        elif value.__class__ is not int:
            raise _wrong_type('an integer', value)
        return model.check_integer(value, type_)
    return parse


def _parse_double(value: Any) -> float:
    if value.__class__ is float:
        return model.check_double(value)
    if value.__class__ is int or (value.__class__ is str and value in _SPECIAL_DOUBLES):
        try:
            return model.check_double(float(value))
        except OverflowError:  # an integer beyond any double
            raise model.must_be('double') from None
    raise _wrong_type('a number', value)


def _parse_boolean(value: Any) -> bool:
    if value.__class__ is not bool:
        raise _wrong_type('a boolean', value)
    return value


def _parse_timestamp(value: Any) -> datetime.datetime:
    if _is_number(value):
        return model.from_epoch(value)
    if value.__class__ is str:
        return model.parse_timestamp(value)
    raise _wrong_type('a timestamp', value)


def _parse_blob(value: Any) -> bytes:
    if value.__class__ is not str:
        raise _wrong_type('a base64 string', value)
    return model.parse_blob(value)


_SCALAR_PARSERS: dict[str, _Parse] = {
    'string': _parse_string, 'integer': _integer_parser('integer'),
    'long': _integer_parser('long'), 'double': _parse_double, 'float': _parse_double,
    'boolean': _parse_boolean, 'timestamp': _parse_timestamp, 'blob': _parse_blob,
}
_PARSERS: dict[str, _Parse] = {}


def _parser(shape: model.Shape) -> _Parse:
    """The (cached) parser of any shape."""
    parse = _PARSERS.get(shape.name) or _SCALAR_PARSERS.get(shape.type)
    if parse is None:
        compile_ = {'structure': _compile_structure, 'list': _compile_list,
                    'map': _compile_map}[shape.type]
        parse = compile_(shape)
    return parse


def _compile_structure(shape: model.Shape) -> _Parse:
    plan: list[tuple[str, str, bool, _Parse]] = []

    def parse(value: Any) -> dict:
        if value.__class__ is not dict:
            raise _wrong_type('an object', value)
        result = {}
        wire = ''
        try:
            for name, wire, is_string, convert in plan:
                member = value.get(wire)
                if member is None:
                    continue
                # Strings are the bulk of members: check them inline.
                if is_string and member.__class__ is str:
                    result[name] = member
                else:
                    result[name] = convert(member)
        except model.BadValue as exc:
            exc.path.append(wire)
            raise
        return result

    # Register before compiling members so recursive shapes terminate.
    _PARSERS[shape.name] = parse
    plan.extend((name, wire, sub.type == 'string', _parser(sub))
                for name, wire, sub in shape.fields)
    return parse


def _compile_list(shape: model.Shape) -> _Parse:
    convert = _parser(shape.member)
    member_name = shape.member_name

    def parse(value: Any) -> list:
        if value.__class__ is not list:
            raise _wrong_type('an array', value)
        try:
            return [convert(item) for item in value if item is not None]
        except model.BadValue as exc:
            # Rare: find the failing item again, to name it in the message.
            exc.path.extend((_failed_index(value, convert), member_name))
            raise

    _PARSERS[shape.name] = parse
    return parse


def _failed_index(items: list, convert: _Parse) -> str:
    for index, item in enumerate(items, 1):
        try:
            if item is not None:
                convert(item)
        except model.BadValue:
            return str(index)
    return '?'


def _compile_map(shape: model.Shape) -> _Parse:
    convert = _parser(shape.value)
    value_name = shape.value_name

    def parse(value: Any) -> dict:
        if value.__class__ is not dict:
            raise _wrong_type('an object', value)
        try:
            return {key: convert(item) for key, item in value.items() if item is not None}
        except model.BadValue as exc:
            failed = _failed_index(list(value.values()), convert)
            exc.path.extend((value_name, failed, 'entry'))
            raise

    _PARSERS[shape.name] = parse
    return parse


# -- serialising -----------------------------------------------------------------

def _epoch(value: datetime.datetime | float | str) -> float:
    """Epoch seconds of an output timestamp (see :func:`model.to_utc`)."""
    # The actions' aware UTC datetimes skip to_utc (1,440 per statistics answer).
    if value.__class__ is datetime.datetime and value.tzinfo is model.UTC:
        return value.timestamp()
    return model.to_utc(value).timestamp()


def _double(value: float) -> float | str:
    # x - x is 0.0 for every finite float, NaN for infinities and NaN.
    if value.__class__ is float and value - value == 0.0:
        return value
    value = float(value)
    if math.isfinite(value):
        return value
    # Valid JSON for the (never expected) non-finite case, as botocore sends.
    return 'NaN' if math.isnan(value) else ('Infinity' if value > 0 else '-Infinity')


_Convert = Callable[[Any], Any]
# Datetimes, dataclasses and subclasses of built-in types are left to
# json.dumps, as before (it refuses the first two).
_ORJSON_STRICT = (orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS
                  | orjson.OPT_PASSTHROUGH_SUBCLASS)
# Scalar output conversions; JSON-native types (string, integer, boolean)
# are copied as they are.
_SCALAR_CONVERTERS: dict[str, _Convert] = {
    'double': _double, 'float': _double, 'timestamp': _epoch,
    'blob': lambda value: base64.b64encode(value).decode('ascii'),
}
_CONVERTERS: dict[str, _Convert] = {}


def _converter(shape: model.Shape) -> _Convert | None:
    """The (cached) output converter of a shape; None: copy the value."""
    if shape.type not in ('structure', 'list', 'map'):
        return _SCALAR_CONVERTERS.get(shape.type)
    convert = _CONVERTERS.get(shape.name)
    if convert is None:
        compile_ = {'structure': _compile_structure_converter,
                    'list': _compile_list_converter, 'map': _compile_map_converter}
        convert = compile_[shape.type](shape)
    return convert


def _compile_structure_converter(shape: model.Shape) -> _Convert:
    plan: list[tuple[str, str, _Convert | None]] = []

    def convert(value: Mapping) -> dict:
        get = value.get
        result = {}
        for name, wire, sub in plan:
            member = get(name)
            if member is not None:
                result[wire] = sub(member) if sub is not None else member
        return result

    _CONVERTERS[shape.name] = convert
    plan.extend((name, wire, _converter(sub)) for name, wire, sub in shape.fields)
    return convert


def _compile_list_converter(shape: model.Shape) -> _Convert:
    sub = _converter(shape.member)

    def convert(value: list) -> list:
        if sub is None:
            return [item for item in value if item is not None]
        return [sub(item) for item in value if item is not None]

    _CONVERTERS[shape.name] = convert
    return convert


def _compile_map_converter(shape: model.Shape) -> _Convert:
    sub = _converter(shape.value)

    def convert(value: Mapping) -> dict:
        return {key: sub(item) if sub is not None else item
                for key, item in value.items() if item is not None}

    _CONVERTERS[shape.name] = convert
    return convert


@functools.cache
def _output_converter(operation: str) -> _Convert | None:
    shape = model.output_shape(operation)
    if shape is None:
        return None
    with model.COMPILE_LOCK:
        return _converter(shape)


def serialize_response(operation: str, result: Mapping | None) -> bytes:
    """The JSON body of a successful ``operation`` answering ``result``.

    None members are omitted; members the shape does not know are ignored.
    """
    convert = _output_converter(operation)
    data = convert(result or {}) if convert is not None else {}
    return encode_json(data)


def encode_json(data: Any) -> bytes:
    """Compact ASCII JSON of converted output data.

    orjson writes it ~10x faster than the json module (a 1,440-datapoint
    statistics answer: 0.5 ms instead of 5 ms), and the same JSON values
    (floats with an exponent are spelled 1e16, not 1e+16). Its output is kept
    only when it is ASCII; the json module writes the rest, escaping
    non-ASCII text and lone surrogates (which JSON input may carry and orjson
    refuses).
    """
    try:
        body = orjson.dumps(data, option=_ORJSON_STRICT)
    except orjson.JSONEncodeError:
        body = b''
    if body and body.isascii():
        return body
    return json.dumps(data, separators=(',', ':')).encode('ascii')


def serialize_error(error: errors.AWSError) -> tuple[bytes, dict[str, str]]:
    """The JSON body and extra headers of an error (HTTP status: ``error.status``).

    '__type' is what real CloudWatch sends (namespace-qualified shape name
    for modelled errors); the ``x-amzn-query-error: <Code>;<Sender|Receiver>``
    header makes botocore report the plain Query code in Error.Code.
    """
    body = {'__type': model.error_type(error.code), 'message': error.message}
    fault = 'Sender' if error.sender_fault else 'Receiver'
    headers = {QUERY_ERROR_HEADER: f'{error.code};{fault}'}
    return json.dumps(body).encode('ascii'), headers
