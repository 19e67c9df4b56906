"""A bounded schemathesis run over the whole description against the
session's heat-watch-all REST API (noauth): no answer is a server error
and every answer conforms to the description (status and schema).

Derandomized and small (``HEAT_WATCH_SCHEMATHESIS_EXAMPLES`` examples per
operation, default 15) so that CI runs it in a minute or two; ``tox -e
schemathesis`` explores further with random examples.
"""

import os

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from heat_watch.api import openapi

EXAMPLES = int(os.environ.get('HEAT_WATCH_SCHEMATHESIS_EXAMPLES', '15'))
SCHEMA = schemathesis.openapi.from_dict(openapi.spec())


@SCHEMA.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
def test_no_server_error_and_every_answer_conforms(case, rest_endpoint):
    case.call_and_validate(base_url=rest_endpoint, timeout=60,
                           checks=[not_a_server_error, response_schema_conformance])
