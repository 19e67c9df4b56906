"""AWS Signature v2/v4 verification against requests signed by real clients.

botocore (SigV4Auth, SigV4QueryAuth and a boto3 client) and boto 2 (its v4
handler, which CloudWatchConnection uses by default, and its query v2
handler) sign the requests; nothing here computes a signature with the code
under test.
"""

import dataclasses
import datetime
import hashlib
import hmac
import json
from unittest import mock
from urllib.parse import parse_qsl, urlsplit

import boto
import boto.auth
import boto.ec2.cloudwatch
import boto3
import botocore.auth
import botocore.credentials
import pytest
from boto.regioninfo import RegionInfo
from botocore.awsrequest import AWSRequest

from heat_watch.common import exceptions as errors
from heat_watch.identity import signing as sig

ACCESS = 'AKIDHEATWATCH0001'
SECRET = 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY'
WRONG_SECRET = SECRET[:-1] + 'X'
REGION = 'RegionOne'
JSON_URL = 'http://127.0.0.1:8003/v1'
QUERY_URL = 'http://localhost:8003/'
FORM_TYPE = 'application/x-www-form-urlencoded; charset=utf-8'
JSON_HEADERS = {'Content-Type': 'application/x-amz-json-1.0',
                'X-Amz-Target': 'GraniteServiceVersion20100801.PutMetricData'}
QUERY_PARAMS = {
    'Action': 'PutMetricData',
    'Version': '2010-08-01',
    'Namespace': 'App/Web Tier',
    'MetricData.member.1.MetricName': 'Latency',
    'MetricData.member.1.Value': '12.5',
    'MetricData.member.1.Unit': 'Milliseconds',
    'MetricData.member.1.Dimensions.member.1.Name': 'Host',
    # Characters every encoder treats differently: space, +, /, ~, non-ASCII.
    'MetricData.member.1.Dimensions.member.1.Value': 'wéb 01+a/b~c',
}
JSON_BODY = json.dumps({
    'Namespace': 'App/Web Tier',
    'MetricData': [{'MetricName': 'Latency', 'Value': 12.5,
                    'Unit': 'Milliseconds'}]}).encode()


# -- Building requests as the server receives them ------------------------------

def received(method: str, url: str, headers, body) -> sig.SignedRequest:
    """A signed client request as our WSGI layer would hand it over."""
    parts = urlsplit(url)
    headers = {k: v.decode() if isinstance(v, bytes) else v
               for k, v in headers.items()}
    if not any(k.lower() == 'host' for k in headers):
        # What http.client/urllib3 send: the port unless it is the default.
        headers['Host'] = parts.netloc
    if isinstance(body, str):
        body = body.encode('utf-8')
    body = body or b''
    params = dict(parse_qsl(parts.query, keep_blank_values=True))
    content_type = next((v for k, v in headers.items()
                         if k.lower() == 'content-type'), '')
    if content_type.startswith('application/x-www-form-urlencoded'):
        params.update(parse_qsl(body.decode(), keep_blank_values=True))
    host = next(v for k, v in headers.items() if k.lower() == 'host')
    return sig.SignedRequest(method=method, host=host, path=parts.path or '/',
                             query_string=parts.query, headers=headers,
                             body=body, params=params)


def botocore_signed(url: str = JSON_URL, method: str = 'POST', data=JSON_BODY,
                    headers=None, query_auth: bool = False,
                    expires: int = 300, secret: str = SECRET,
                    when: datetime.datetime | None = None) -> sig.SignedRequest:
    """Sign with botocore's SigV4Auth / SigV4QueryAuth for 'monitoring'."""
    credentials = botocore.credentials.Credentials(ACCESS, secret)
    if query_auth:
        signer = botocore.auth.SigV4QueryAuth(credentials, 'monitoring',
                                              REGION, expires=expires)
    else:
        signer = botocore.auth.SigV4Auth(credentials, 'monitoring', REGION)
    request = AWSRequest(method=method, url=url, data=data,
                         headers=dict(JSON_HEADERS if headers is None
                                      else headers))
    when = when or datetime.datetime.now(datetime.UTC)
    with mock.patch('botocore.auth.get_current_datetime',
                    return_value=when.replace(tzinfo=None)):
        signer.add_auth(request)
    prepared = request.prepare()
    return received(prepared.method, prepared.url, prepared.headers,
                    prepared.body)


def botocore_form(url: str = QUERY_URL, **kwargs) -> sig.SignedRequest:
    """A Query-protocol form POST signed by botocore."""
    return botocore_signed(url=url, data=dict(QUERY_PARAMS),
                           headers={'Content-Type': FORM_TYPE}, **kwargs)


class _Stop(Exception):
    pass


def boto3_put_metric_data() -> sig.SignedRequest:
    """What a real boto3 CloudWatch client sends (captured before sending)."""
    client = boto3.client('cloudwatch', endpoint_url=JSON_URL,
                          region_name=REGION, aws_access_key_id=ACCESS,
                          aws_secret_access_key=SECRET)
    sent = []

    def capture(request, **kwargs):
        sent.append(request)
        raise _Stop()

    client.meta.events.register('before-send', capture)
    with pytest.raises(_Stop):
        client.put_metric_data(Namespace='App/Web Tier', MetricData=[{
            'MetricName': 'Latency', 'Value': 1.5,
            'Dimensions': [{'Name': 'Host', 'Value': 'wéb 01'}]}])
    request = sent[0]
    return received(request.method, request.url, request.headers,
                    request.body)


class _FakeResponse:
    status = 200
    reason = 'OK'

    def __init__(self, body: bytes):
        self.body = body

    def read(self, amt=None):
        return self.body

    def getheader(self, name, default=None):
        return default

    def getheaders(self):
        return []


class _FakeHTTPConnection:
    """Stands in for boto 2's http.client connection; records what it sent."""

    def __init__(self):
        self.sent = []

    def request(self, method, path, body, headers):
        self.sent.append((method, path, body, dict(headers)))

    def getresponse(self):
        # A response body that parses for both calls used below.
        return _FakeResponse(b'<Response><ResponseMetadata><RequestId>r1'
                             b'</RequestId></ResponseMetadata></Response>')

    def close(self):
        pass


def boto2_connection(secret: str = SECRET, v2: bool = False,
                     sha1: bool = False):
    """A boto 2 CloudWatchConnection to 127.0.0.1:8003/v1 that sends nothing.

    boto 2 signs CloudWatch with its SigV4 handler; ``v2`` swaps in its query
    Signature Version 2 handler (the one EC2-era services use).
    """
    conn = boto.ec2.cloudwatch.CloudWatchConnection(
        ACCESS, secret, is_secure=False, port=8003, path='/v1',
        region=RegionInfo(name=REGION, endpoint='127.0.0.1'))
    if v2:
        conn._auth_handler = boto.auth.QuerySignatureV2AuthHandler(
            conn.host, boto.config, conn.provider)
    if sha1:
        conn._auth_handler._hmac_256 = None  # boto 2 then uses HmacSHA1
    fake = _FakeHTTPConnection()
    conn.get_http_connection = lambda *args, **kwargs: fake
    return conn, fake


def boto2_signed(verb: str = 'GET', **kwargs) -> sig.SignedRequest:
    """ListMetrics (GET) or PutMetricData (POST) exactly as boto 2 sends it."""
    conn, fake = boto2_connection(**kwargs)
    if verb == 'GET':
        conn.list_metrics(namespace='App/Web Tier',
                          dimensions={'Host': 'web 01'})
    else:
        conn.put_metric_data('App/Web Tier', 'Latency', 12.5,
                             unit='Milliseconds',
                             dimensions={'Host': 'wéb 01'})
    method, path, body, headers = fake.sent[-1]
    return received(method, f"http://{headers['Host']}{path}",
                    headers, body)


def check(req: sig.SignedRequest, secret: str = SECRET,
          now: datetime.datetime | None = None) -> sig.Credentials:
    creds = sig.extract_credentials(req)
    sig.verify(req, creds, secret, now=now)
    return creds


def with_params(req: sig.SignedRequest, **changes) -> sig.SignedRequest:
    params = dict(req.params)
    params.update(changes)
    return dataclasses.replace(req, params=params)


def with_headers(req: sig.SignedRequest, **changes) -> sig.SignedRequest:
    headers = dict(req.headers)
    headers.update({k.replace('_', '-'): v for k, v in changes.items()})
    return dataclasses.replace(req, headers=headers)


ALL_CLIENTS = {
    'botocore-json-header': lambda **kw: botocore_signed(**kw),
    'botocore-form-header': lambda **kw: botocore_form(**kw),
    'botocore-form-presigned': lambda **kw: botocore_form(query_auth=True,
                                                          **kw),
    'botocore-get-presigned': lambda **kw: botocore_signed(
        url=QUERY_URL + '?Action=ListMetrics&Namespace=App%2FWeb%20Tier',
        method='GET', data=None, headers={}, query_auth=True, **kw),
    'boto2-v4-get': lambda **kw: boto2_signed('GET', **kw),
    'boto2-v4-post': lambda **kw: boto2_signed('POST', **kw),
    'boto2-v2-get': lambda **kw: boto2_signed('GET', v2=True, **kw),
    'boto2-v2-post': lambda **kw: boto2_signed('POST', v2=True, **kw),
    'boto2-v2-sha1': lambda **kw: boto2_signed('POST', v2=True, sha1=True,
                                               **kw),
}


# -- Every client, every way of signing ------------------------------------------

@pytest.mark.parametrize('client', sorted(ALL_CLIENTS))
def test_real_client_signature_verifies(client):
    creds = check(ALL_CLIENTS[client]())
    assert creds.access_key == ACCESS


@pytest.mark.parametrize('client', sorted(ALL_CLIENTS))
def test_wrong_secret_does_not_match(client):
    req = ALL_CLIENTS[client](secret=WRONG_SECRET)
    with pytest.raises(errors.SignatureDoesNotMatch) as raised:
        check(req)
    assert raised.value.message.startswith(
        'The request signature we calculated does not match')


def tampered(req: sig.SignedRequest) -> sig.SignedRequest:
    """The same request with 'Web' changed to 'Wob' on the wire."""
    return dataclasses.replace(
        req, query_string=req.query_string.replace('Web', 'Wob'),
        body=req.body.replace(b'Web', b'Wob'),
        params={k: v.replace('Web', 'Wob') for k, v in req.params.items()})


@pytest.mark.parametrize('client', sorted(ALL_CLIENTS))
def test_tampered_parameter_does_not_match(client):
    req = ALL_CLIENTS[client]()
    changed = tampered(req)
    assert changed != req  # the namespace really is in every request
    with pytest.raises(errors.SignatureDoesNotMatch):
        check(changed)


def test_boto3_client_request_verifies():
    req = boto3_put_metric_data()
    creds = check(req)
    assert (creds.version, creds.form) == (4, 'header')
    assert (creds.region, creds.service) == (REGION, 'monitoring')
    assert 'x-amz-target' in creds.signed_headers


def test_boto3_tampered_json_body_does_not_match():
    req = boto3_put_metric_data()
    req = dataclasses.replace(req, body=req.body.replace(b'1.5', b'9.5'))
    with pytest.raises(errors.SignatureDoesNotMatch):
        check(req)


# -- Version 4 ----------------------------------------------------------------------

def test_aws_test_suite_get_vanilla():
    """The 'get-vanilla' case of AWS's published SigV4 test suite."""
    req = sig.SignedRequest(
        method='GET', host='example.amazonaws.com', path='/',
        headers={'Host': 'example.amazonaws.com',
                 'X-Amz-Date': '20150830T123600Z',
                 'Authorization': (
                     'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/'
                     'us-east-1/service/aws4_request, SignedHeaders=host;'
                     'x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e'
                     '8372ff2a2260956d9b8aae1d763fbf31')})
    now = datetime.datetime(2015, 8, 30, 12, 40, tzinfo=datetime.UTC)
    check(req, 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY', now=now)
    with pytest.raises(errors.SignatureDoesNotMatch):
        check(dataclasses.replace(req, path='/x'), SECRET, now=now)


def test_header_credentials_are_parsed():
    creds = sig.extract_credentials(botocore_signed())
    assert creds.version == 4
    assert creds.form == 'header'
    assert creds.scope == f'{creds.amz_date[:8]}/{REGION}/monitoring/aws4_request'
    assert creds.signed_headers == ('content-type', 'host', 'x-amz-date',
                                    'x-amz-target')
    assert creds.signature not in repr(creds)


def test_presigned_credentials_are_parsed():
    creds = sig.extract_credentials(botocore_form(query_auth=True,
                                                  expires=120))
    assert (creds.form, creds.expires_in) == ('query', 120)
    assert len(creds.signature) == 64


def test_tampered_signed_header_does_not_match():
    req = with_headers(botocore_signed(),
                       X_Amz_Target='GraniteServiceVersion20100801.'
                                    'DeleteAlarms')
    with pytest.raises(errors.SignatureDoesNotMatch):
        check(req)


def test_other_host_does_not_match():
    req = botocore_signed()
    req = with_headers(dataclasses.replace(req, host='127.0.0.1:8004'),
                       Host='127.0.0.1:8004')
    with pytest.raises(errors.SignatureDoesNotMatch):
        check(req)


def test_header_values_are_trimmed_and_collapsed():
    headers = dict(JSON_HEADERS, **{'X-Meta': '  a   b\tc '})
    req = botocore_signed(headers=headers)
    assert req.header('x-meta') == '  a   b\tc '
    check(req)


def test_path_is_normalised_and_encoded_like_botocore():
    # botocore signs quote('/v1/a%20b/c') = '/v1/a%2520b/c': dot segments and
    # empty segments removed, then encoded once more.
    req = botocore_signed(url='http://127.0.0.1:8003/v1/a%20b/./x/..//c')
    assert req.path == '/v1/a%20b/./x/..//c'
    check(req)
    assert sig.canonical_uri(req.path) == '/v1/a%2520b/c'
    assert sig.canonical_uri('') == '/'


def test_query_string_with_header_auth_is_signed():
    req = botocore_signed(url=JSON_URL + '?b=2&a=x%20y&a=1', method='GET',
                          data=None, headers={})
    check(req)
    with pytest.raises(errors.SignatureDoesNotMatch):
        check(dataclasses.replace(req, query_string='b=2&a=x%20y&a=2'))


def test_content_sha256_header_must_match_body():
    req = botocore_signed(headers=dict(
        JSON_HEADERS, **{'X-Amz-Content-SHA256': 'UNSIGNED-PAYLOAD'}))
    # Header auth must sign the payload: UNSIGNED-PAYLOAD is refused.
    with pytest.raises(errors.SignatureDoesNotMatch) as raised:
        check(req)
    assert 'x-amz-content-sha256' in raised.value.message


def test_presigned_unsigned_payload_is_accepted():
    req = botocore_signed(
        url=QUERY_URL + '?Action=ListMetrics', method='GET', data=None,
        headers={'X-Amz-Content-SHA256': 'UNSIGNED-PAYLOAD'}, query_auth=True)
    check(req)


def test_presigned_parameters_in_form_body_verify():
    # A client that signs like SigV4QueryAuth but posts the form instead.
    presigned = botocore_form(query_auth=True)
    req = dataclasses.replace(
        presigned, query_string='', headers={'Host': presigned.host,
                                             'Content-Type': FORM_TYPE},
        body=presigned.query_string.encode())
    check(req)
    with pytest.raises(errors.SignatureDoesNotMatch):
        check(with_params(req, Action='DeleteAlarms'))


def test_v4_old_request_expired():
    now = datetime.datetime.now(datetime.UTC)
    req = botocore_signed(when=now - datetime.timedelta(minutes=20))
    with pytest.raises(errors.RequestExpired) as raised:
        check(req)
    assert raised.value.message.startswith('Signature expired')
    check(req, now=now - datetime.timedelta(minutes=6))  # within 15 min


def test_v4_future_request_expired():
    req = botocore_signed(when=datetime.datetime.now(datetime.UTC)
                          + datetime.timedelta(minutes=16))
    with pytest.raises(errors.RequestExpired):
        check(req)


def test_max_skew_is_a_parameter():
    now = datetime.datetime.now(datetime.UTC)
    req = botocore_signed(when=now - datetime.timedelta(minutes=3))
    creds = sig.extract_credentials(req)
    sig.verify(req, creds, SECRET, now=now)
    with pytest.raises(errors.RequestExpired):
        sig.verify(req, creds, SECRET, now=now,
                   max_skew=datetime.timedelta(minutes=2))


def test_presigned_is_valid_for_its_expiry_only():
    signed_at = datetime.datetime.now(datetime.UTC)
    req = botocore_form(query_auth=True, expires=3600, when=signed_at)
    check(req, now=signed_at + datetime.timedelta(minutes=59))
    with pytest.raises(errors.RequestExpired):
        check(req, now=signed_at + datetime.timedelta(minutes=61))


def test_date_header_instead_of_x_amz_date():
    # Given a Date header, botocore signs 'date' and sends no X-Amz-Date.
    when = datetime.datetime.now(datetime.UTC).replace(microsecond=0)
    req = botocore_signed(headers=dict(JSON_HEADERS, Date='placeholder'),
                          when=when)
    assert req.header('x-amz-date') is None
    creds = check(req)
    assert 'date' in creds.signed_headers
    assert creds.request_time == when
    with pytest.raises(errors.RequestExpired):
        check(req, now=when + datetime.timedelta(minutes=20))


def test_scope_date_must_match_request_date():
    req = botocore_signed()
    creds = sig.extract_credentials(req)
    other = (creds.request_time + datetime.timedelta(days=1)).strftime(
        '%Y%m%dT%H%M%SZ')
    with pytest.raises(errors.SignatureDoesNotMatch) as raised:
        check(with_headers(req, X_Amz_Date=other),
              now=creds.request_time + datetime.timedelta(days=1))
    assert 'Credential scope' in raised.value.message


AUTH_PREFIX = 'AWS4-HMAC-SHA256 '
GOOD_CREDENTIAL = f'Credential={ACCESS}/20240101/{REGION}/monitoring/aws4_request'


@pytest.mark.parametrize('authorization', [
    'AWS4-HMAC-SHA256',
    AUTH_PREFIX + 'garbage',
    AUTH_PREFIX + GOOD_CREDENTIAL + ', SignedHeaders=host;x-amz-date',
    AUTH_PREFIX + GOOD_CREDENTIAL + ', Signature=abc',
    AUTH_PREFIX + 'SignedHeaders=host, Signature=abc',
    AUTH_PREFIX + f'Credential={ACCESS}/20240101/{REGION}/aws4_request, '
                  'SignedHeaders=host, Signature=abc',
    AUTH_PREFIX + GOOD_CREDENTIAL.replace('aws4_request', 'aws5_request')
    + ', SignedHeaders=host, Signature=abc',
    AUTH_PREFIX + GOOD_CREDENTIAL.replace('20240101', '2024-01-01')
    + ', SignedHeaders=host, Signature=abc',
    AUTH_PREFIX + GOOD_CREDENTIAL + ', SignedHeaders=x-amz-date, '
                                    'Signature=abc',
    AUTH_PREFIX + GOOD_CREDENTIAL + ', SignedHeaders=host;;x-amz-date, '
                                    'Signature=abc',
    'AWS4-HMAC-SHA512 ' + GOOD_CREDENTIAL + ', SignedHeaders=host, '
                                            'Signature=abc',
    f'AWS3-HTTPS AWSAccessKeyId={ACCESS},Algorithm=HmacSHA256,Signature=abc',
    'Bearer abc',
])
def test_garbled_authorization_header_is_incomplete(authorization):
    req = with_headers(botocore_signed(), Authorization=authorization)
    with pytest.raises(errors.IncompleteSignature):
        sig.extract_credentials(req)


@pytest.mark.parametrize('value', ['2024-01-01T00:00:00Z', 'yesterday',
                                   '20241301T000000Z'])
def test_malformed_x_amz_date_is_incomplete(value):
    req = with_headers(botocore_signed(), X_Amz_Date=value)
    with pytest.raises(errors.IncompleteSignature):
        sig.extract_credentials(req)


def test_v4_without_any_date_is_incomplete():
    req = botocore_signed()
    headers = {k: v for k, v in req.headers.items() if k != 'X-Amz-Date'}
    with pytest.raises(errors.IncompleteSignature) as raised:
        sig.extract_credentials(dataclasses.replace(req, headers=headers))
    assert 'X-Amz-Date' in raised.value.message


@pytest.mark.parametrize('missing', ['X-Amz-Algorithm', 'X-Amz-Credential',
                                     'X-Amz-Date', 'X-Amz-SignedHeaders',
                                     'X-Amz-Signature'])
def test_presigned_missing_parameter_is_incomplete(missing):
    req = botocore_form(query_auth=True)
    params = {k: v for k, v in req.params.items() if k != missing}
    with pytest.raises(errors.IncompleteSignature) as raised:
        sig.extract_credentials(dataclasses.replace(req, params=params))
    assert missing in raised.value.message


@pytest.mark.parametrize('changes', [
    {'X-Amz-Algorithm': 'AWS4-HMAC-SHA1'},
    {'X-Amz-Expires': '0'},
    {'X-Amz-Expires': '604801'},
    {'X-Amz-Expires': 'soon'},
])
def test_presigned_bad_parameter_is_incomplete(changes):
    req = with_params(botocore_form(query_auth=True), **changes)
    with pytest.raises(errors.IncompleteSignature):
        sig.extract_credentials(req)


def test_two_auth_mechanisms_are_refused():
    req = with_params(botocore_signed(), AWSAccessKeyId=ACCESS,
                      Signature='abc', SignatureVersion='2')
    with pytest.raises(errors.IncompleteSignature) as raised:
        sig.extract_credentials(req)
    assert 'Only one auth mechanism' in raised.value.message


# -- No signature at all -------------------------------------------------------------

@pytest.mark.parametrize('params', [{}, {'Action': 'ListMetrics'}])
def test_unsigned_request_is_missing_token(params):
    req = sig.SignedRequest(method='POST', host='127.0.0.1:8003', path='/v1',
                            headers=dict(JSON_HEADERS), body=b'{}',
                            params=params)
    with pytest.raises(errors.MissingAuthenticationToken) as raised:
        sig.extract_credentials(req)
    assert raised.value.message == 'Request is missing Authentication Token'


# -- Version 2 -----------------------------------------------------------------------

def test_v2_credentials_are_parsed():
    creds = sig.extract_credentials(boto2_signed(v2=True))
    assert (creds.version, creds.form) == (2, 'params')
    assert creds.signature_method == 'HmacSHA256'
    assert creds.request_time is not None and creds.expires_at is None


def test_v2_sha1_is_used_and_verifies():
    req = boto2_signed(v2=True, sha1=True)
    assert req.params['SignatureMethod'] == 'HmacSHA1'
    check(req)


def test_v2_signed_host_with_port_verifies():
    """A client that signs 'host:port' (boto 2 does for S3-style signing)."""
    req = boto2_signed(v2=True)
    conn, _ = boto2_connection(v2=True)
    params = {k: v for k, v in req.params.items() if k != 'Signature'}
    _, signature = conn._auth_handler._calc_signature(
        params, 'GET', req.path, '127.0.0.1:8003')
    req = with_params(dataclasses.replace(req, host='127.0.0.1:8003'),
                      Signature=signature.decode())
    check(req)
    # Signed with the port, so the port really is part of what was signed.
    with pytest.raises(errors.SignatureDoesNotMatch):
        check(dataclasses.replace(req, host='127.0.0.1:8004'))


def test_v2_unsigned_port_is_tolerated():
    # boto 2's v2 handler signs the host without the port; a proxy may add it.
    req = boto2_signed(v2=True)
    assert req.host == '127.0.0.1'
    check(dataclasses.replace(req, host='127.0.0.1:8003'))
    check(dataclasses.replace(req, host='127.0.0.1:9999'))
    with pytest.raises(errors.SignatureDoesNotMatch):
        check(dataclasses.replace(req, host='127.0.0.2:8003'))


def test_v2_other_path_does_not_match():
    req = boto2_signed(v2=True)
    with pytest.raises(errors.SignatureDoesNotMatch):
        check(dataclasses.replace(req, path='/v2/'))


@pytest.mark.parametrize('client', ['boto2-v2-get', 'boto2-v2-post',
                                    'boto2-v4-get'])
def test_boto2_old_timestamp_expired(client):
    req = ALL_CLIENTS[client]()
    creds = sig.extract_credentials(req)
    with pytest.raises(errors.RequestExpired):
        sig.verify(req, creds, SECRET, now=creds.request_time
                   + datetime.timedelta(minutes=20))


def _boto2_v2_with(params: dict) -> sig.SignedRequest:
    """Sign arbitrary v2 params with boto 2's own v2 signing routine."""
    conn, _ = boto2_connection(v2=True)
    params = dict(params, AWSAccessKeyId=ACCESS, SignatureVersion='2')
    _, signature = conn._auth_handler._calc_signature(params, 'POST', '/v1',
                                                      '127.0.0.1')
    params['Signature'] = signature.decode()
    return sig.SignedRequest(method='POST', host='127.0.0.1', path='/v1',
                             headers={'Host': '127.0.0.1'}, params=params)


def test_v2_expires_instead_of_timestamp():
    now = datetime.datetime.now(datetime.UTC)
    expires = (now + datetime.timedelta(hours=1)).strftime(
        '%Y-%m-%dT%H:%M:%SZ')
    req = _boto2_v2_with({'Action': 'ListMetrics', 'Expires': expires})
    check(req)
    with pytest.raises(errors.RequestExpired):
        check(req, now=now + datetime.timedelta(hours=2))


@pytest.mark.parametrize('timestamp', ['2024-01-01T00:00:00.000Z',
                                       '2024-01-01T01:00:00+01:00',
                                       '2024-01-01T00:00:00'])
def test_v2_timestamp_formats(timestamp):
    req = _boto2_v2_with({'Action': 'ListMetrics', 'Timestamp': timestamp})
    creds = check(req, now=datetime.datetime(2024, 1, 1, 0, 5,
                                             tzinfo=datetime.UTC))
    assert creds.request_time == datetime.datetime(
        2024, 1, 1, tzinfo=datetime.UTC)


def test_signature_version_1_is_incomplete():
    """SignatureVersion 0/1 are refused as IncompleteSignature: the request
    is signed, just not in a way this service supports (like an unknown v4
    algorithm), rather than InvalidParameterValue."""
    req = with_params(boto2_signed(v2=True), SignatureVersion='1')
    with pytest.raises(errors.IncompleteSignature) as raised:
        sig.extract_credentials(req)
    assert 'SignatureVersion' in raised.value.message


@pytest.mark.parametrize('changes', [
    {'SignatureMethod': 'HmacMD5'},
    {'SignatureMethod': ''},
    {'AWSAccessKeyId': ''},
    {'Timestamp': 'noon'},
])
def test_v2_bad_parameter_is_incomplete(changes):
    req = with_params(boto2_signed(v2=True), **changes)
    with pytest.raises(errors.IncompleteSignature):
        sig.extract_credentials(req)


@pytest.mark.parametrize('missing', ['SignatureVersion', 'Signature',
                                     'SignatureMethod', 'Timestamp'])
def test_v2_missing_parameter_is_incomplete(missing):
    req = boto2_signed(v2=True)
    params = {k: v for k, v in req.params.items() if k != missing}
    with pytest.raises(errors.IncompleteSignature):
        sig.extract_credentials(dataclasses.replace(req, params=params))


def test_non_ascii_signature_does_not_crash():
    req = with_params(boto2_signed(v2=True), Signature='sïgnature')
    with pytest.raises(errors.SignatureDoesNotMatch):
        check(req)


def test_lower_headers_is_a_copy_and_header_lookups_ignore_case():
    req = sig.SignedRequest(method='POST', host='h', path='/',
                            headers={'X-Amz-Date': '20240101T000000Z'})
    lowered = req.lower_headers()
    lowered['x-amz-date'] = 'changed'
    assert req.header('X-AMZ-DATE') == '20240101T000000Z'
    assert req.lower_headers() == {'x-amz-date': '20240101T000000Z'}


def test_the_derived_v4_key_is_the_hmac_chain_whether_remembered_or_not():
    sig.v4_signing_key.cache_clear()
    first = sig.v4_signing_key('secret', '20240101', 'RegionOne', 'monitoring')
    again = sig.v4_signing_key('secret', '20240101', 'RegionOne', 'monitoring')
    key = b'AWS4secret'
    for part in ('20240101', 'RegionOne', 'monitoring', 'aws4_request'):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    assert first == again == key
    assert sig.v4_signing_key('other', '20240101', 'RegionOne', 'monitoring') != key
