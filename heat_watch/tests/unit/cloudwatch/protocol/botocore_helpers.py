"""botocore's own client-side codecs, to prove the server codecs compatible.

The tests build requests the way boto3 does (JSON) and the way older
clients do (Query), and read our responses the way boto3 would.
"""

from __future__ import annotations

import datetime
import functools
import urllib.parse
from typing import Any

from botocore import model as botocore_model
from botocore import parsers, serialize
from botocore.loaders import Loader
from botocore.utils import percent_encode_sequence

UTC = datetime.UTC
REQUEST_ID = 'c0ffee00-0000-4000-8000-000000000001'


@functools.cache
def service_model() -> botocore_model.ServiceModel:
    return botocore_model.ServiceModel(Loader().load_service_model('cloudwatch', 'service-2'))


def operation_model(operation: str) -> botocore_model.OperationModel:
    return service_model().operation_model(operation)


def query_params(operation: str, params: dict) -> dict[str, str]:
    """The form parameters an old (Query) client sends, URL-decoded again."""
    request = serialize.create_serializer('query').serialize_to_request(
        params, operation_model(operation))
    body = percent_encode_sequence(request['body'])
    return dict(urllib.parse.parse_qsl(body, keep_blank_values=True, strict_parsing=True))


def json_request(operation: str, params: dict) -> tuple[bytes, dict[str, str]]:
    """Body and headers boto3 sends (JSON 1.0, query-compatible mode)."""
    request = serialize.create_serializer('json').serialize_to_request(
        params, operation_model(operation))
    return request['body'], request['headers']


def parse_response(protocol: str, operation: str, body: bytes,
                   status: int = 200, headers: dict | None = None) -> dict:
    """What botocore makes of a response (ResponseMetadata dropped)."""
    response = {'body': body, 'headers': headers or {}, 'status_code': status,
                'context': {'operation_name': operation}}
    parsed = parsers.create_parser(protocol).parse(
        response, operation_model(operation).output_shape)
    parsed.pop('ResponseMetadata', None)
    return parsed


def parse_query_metadata(operation: str, body: bytes) -> dict:
    response = {'body': body, 'headers': {}, 'status_code': 200}
    parsed = parsers.create_parser('query').parse(
        response, operation_model(operation).output_shape)
    return parsed['ResponseMetadata']


class Sampler:
    """Fills every member of a botocore shape with a distinctive value.

    Values are chosen to be awkward: strings with XML markup and non-ASCII
    text, doubles needing exponents, millisecond timestamps, False.
    """

    STRINGS = ('a<b>&"c\' \u00e9\u4e2d', 'plain', '', 'x' * 3)
    DOUBLES = (0.1, 1e-05, -2.5, 1.5e+300, 42.0)

    def __init__(self):
        self.counter = 0

    def _next(self, values: tuple) -> Any:
        self.counter += 1
        return values[self.counter % len(values)]

    def sample(self, shape: botocore_model.Shape, depth: int = 0) -> Any:
        handler = getattr(self, '_' + shape.type_name)
        return handler(shape, depth)

    def _structure(self, shape, depth):
        members = list(shape.members.items())
        if shape.is_tagged_union:
            members = members[:1]
        if depth > 6:
            members = [(name, sub) for name, sub in members if name in shape.required_members]
        return {name: self.sample(sub, depth + 1) for name, sub in members}

    def _list(self, shape, depth):
        size = max(2, shape.metadata.get('min', 0))
        return [self.sample(shape.member, depth + 1) for _ in range(size)]

    def _map(self, shape, depth):
        size = max(2, shape.metadata.get('min', 0))
        return {f'key{self.counter}-{index}': self.sample(shape.value, depth + 1)
                for index in range(size)}

    def _string(self, shape, depth):
        enum = shape.enum
        if enum:
            return self._next(tuple(enum))
        value = self._next(self.STRINGS)
        return value.ljust(shape.metadata.get('min', 0), 'z')

    def _integer(self, shape, depth):
        self.counter += 1
        return max(shape.metadata.get('min', 0), 7 + self.counter)

    def _long(self, shape, depth):
        self.counter += 1
        return 2 ** 40 + self.counter

    def _double(self, shape, depth):
        return self._next(self.DOUBLES)

    _float = _double

    def _boolean(self, shape, depth):
        self.counter += 1
        return self.counter % 2 == 0

    def _timestamp(self, shape, depth):
        self.counter += 1
        return datetime.datetime(2026, 11, 23, 10, self.counter % 60, 5, 123000, tzinfo=UTC)

    def _blob(self, shape, depth):
        return b'\x00\xffblob'
