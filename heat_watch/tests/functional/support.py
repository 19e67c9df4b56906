"""Helpers shared by the functional tests of the CloudWatch metric API.

Times: every test puts its datapoints at fixed offsets from :func:`hour_start`
(the start of the previous hour, always inside the two-week window), so that
expected statistics can be computed by hand.
"""

import datetime
import functools
import math
import urllib.parse
import uuid
import xml.etree.ElementTree as ElementTree

import boto3
import botocore.auth
import botocore.awsrequest
import botocore.config
import botocore.credentials
import botocore.exceptions
import botocore.session
import requests

from heat_watch.tests import clients

XML_NAMESPACE = 'http://monitoring.amazonaws.com/doc/2010-08-01/'
JSON_TYPE = 'application/x-amz-json-1.0'
FORM_TYPE = 'application/x-www-form-urlencoded; charset=utf-8'
TARGET_PREFIX = 'GraniteServiceVersion20100801.'
SIGNING_NAME = 'monitoring'
UTC = datetime.UTC
MINUTE = datetime.timedelta(minutes=1)
SECOND = datetime.timedelta(seconds=1)
# Clients that leave every check to the server, so that errors are the API's.
_LENIENT = botocore.config.Config(parameter_validation=False,
                                  retries={'max_attempts': 1, 'mode': 'standard'},
                                  connect_timeout=5, read_timeout=60)


def now() -> datetime.datetime:
    return datetime.datetime.now(UTC)


@functools.cache
def hour_start() -> datetime.datetime:
    """The start of the hour before the session began: a fixed, minute-aligned
    base that does not move when the clock passes an hour during the run."""
    return now().replace(minute=0, second=0, microsecond=0) - datetime.timedelta(hours=1)


def unique_namespace(label: str = 'test') -> str:
    """A namespace no other test uses."""
    return 'Functional/%s/%s' % (label[:60], uuid.uuid4().hex[:12])


def lenient_json_client(endpoint: str, access: str, secret: str):
    """boto3 (JSON protocol) without client-side parameter validation."""
    return boto3.client('cloudwatch', region_name=clients.REGION, endpoint_url=endpoint,
                        aws_access_key_id=access, aws_secret_access_key=secret,
                        config=_LENIENT)


def lenient_query_client(endpoint: str, access: str, secret: str, data_dir: str):
    """botocore (Query protocol) without client-side parameter validation."""
    session = botocore.session.get_session()
    session.get_component('data_loader').search_paths.insert(
        0, clients._query_model_dir(data_dir))
    return session.create_client('cloudwatch', region_name=clients.REGION,
                                 endpoint_url=endpoint, aws_access_key_id=access,
                                 aws_secret_access_key=secret, config=_LENIENT)


def aws_error(call, *args, **kwargs) -> tuple[str, int, str]:
    """(code, HTTP status, message) of the ClientError a botocore call raises."""
    try:
        call(*args, **kwargs)
    except botocore.exceptions.ClientError as error:
        return (error.response['Error']['Code'],
                error.response['ResponseMetadata']['HTTPStatusCode'],
                error.response['Error'].get('Message', ''))
    raise AssertionError('%s succeeded; an error was expected' % call.__name__)


def boto2_error(call, *args, **kwargs) -> tuple[str, int]:
    """(code, HTTP status) of the BotoServerError a boto 2 call raises."""
    from boto.exception import BotoServerError
    try:
        call(*args, **kwargs)
    except BotoServerError as error:
        return error.error_code, error.status
    raise AssertionError('%s succeeded; an error was expected' % call.__name__)


def statistics(client, namespace: str, name: str, start: datetime.datetime,
               end: datetime.datetime, period: int = 60, dimensions=None,
               stats=('SampleCount', 'Sum', 'Minimum', 'Maximum', 'Average'),
               **extra) -> list[dict]:
    """GetMetricStatistics' datapoints, sorted by time (AWS leaves them unsorted)."""
    args = dict(Namespace=namespace, MetricName=name, StartTime=start, EndTime=end,
                Period=period, Dimensions=dimensions or [], **extra)
    if stats and 'ExtendedStatistics' not in extra:
        args['Statistics'] = list(stats)
    answer = client.get_metric_statistics(**args)
    return sorted(answer['Datapoints'], key=lambda point: point['Timestamp'])


def nearest_rank(samples: list[float], percentile: float) -> float:
    """Brute-force nearest-rank percentile: the smallest sample such that at
    least ``percentile`` % of the samples are less than or equal to it."""
    ordered = sorted(samples)
    for value in ordered:
        if sum(1 for sample in ordered if sample <= value) * 100 >= percentile * len(ordered):
            return value
    return ordered[-1]


def close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)


# -- raw HTTP, for what no client sends ----------------------------------------

def signed_request(endpoint: str, access: str, secret: str, *, body: bytes | str = b'',
                   headers: dict | None = None, method: str = 'POST',
                   params: dict | None = None) -> requests.Response:
    """A request signed with botocore's SigV4 signer, sent with requests."""
    url = endpoint
    if params:
        url += '?' + urllib.parse.urlencode(params)
    request = botocore.awsrequest.AWSRequest(method=method, url=url, data=body,
                                             headers=dict(headers or {}))
    botocore.auth.SigV4Auth(botocore.credentials.Credentials(access, secret),
                            SIGNING_NAME, clients.REGION).add_auth(request)
    prepared = request.prepare()
    return requests.request(method, prepared.url, data=prepared.body,
                            headers=dict(prepared.headers), timeout=30)


def signed_query(endpoint: str, access: str, secret: str, params: dict) -> requests.Response:
    """A signed Query-protocol form POST."""
    return signed_request(endpoint, access, secret, body=urllib.parse.urlencode(params),
                          headers={'Content-Type': FORM_TYPE})


def signed_json(endpoint: str, access: str, secret: str, target: str,
                payload: dict) -> requests.Response:
    """A signed JSON-protocol POST with ``X-Amz-Target: target``."""
    import json
    return signed_request(endpoint, access, secret, body=json.dumps(payload),
                          headers={'Content-Type': JSON_TYPE, 'X-Amz-Target': target})


def xml_error(response: requests.Response) -> tuple[str, str]:
    """(namespace-qualified root tag, error code) of a Query error answer."""
    root = ElementTree.fromstring(response.content)
    code = root.find('{%s}Error/{%s}Code' % (XML_NAMESPACE, XML_NAMESPACE))
    return root.tag, code.text if code is not None else ''
