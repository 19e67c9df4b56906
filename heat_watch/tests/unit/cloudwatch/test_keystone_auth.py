"""The Keystone ec2tokens backend against a stub Keystone on 127.0.0.1.

The stub is a real HTTP server answering ``POST /v3/ec2tokens`` with
responses recorded from Keystone; it keeps what the backend sent so that the
credentials document can be checked, including by re-running Keystone's own
signature algorithm on it.
"""

import base64
import copy
import datetime
import hashlib
import hmac
import http.server
import json
import logging
import socket
import threading
import time
from urllib.parse import quote

import pytest

from heat_watch.cloudwatch import errors
from heat_watch.cloudwatch.auth import keystone
from heat_watch.common import exceptions
from heat_watch.identity import signing as sig
from heat_watch.tests.unit.identity import test_signing as signing

PROJECT_ID = 'a6944d763bf64ee6a275f1263fae0352'
USER_ID = 'd5a4c8c1b2e94fd2a5f4d91e0d3c6e41'
SUBJECT_TOKEN = 'gAAAAABlkq3xEXAMPLEfernetTOKEN'

# POST /v3/ec2tokens -> 200, as answered by Keystone (2024.1), ids renamed.
TOKEN_RESPONSE = {
    'token': {
        'methods': ['ec2credential'],
        'user': {
            'domain': {'id': 'default', 'name': 'Default'},
            'id': USER_ID,
            'name': 'demo',
            'password_expires_at': None,
        },
        'audit_ids': ['mAjXQhiYRyKwkB4qygdLVg'],
        'expires_at': '2024-01-01T13:00:00.000000Z',
        'issued_at': '2024-01-01T12:00:00.000000Z',
        'project': {
            'domain': {'id': 'default', 'name': 'Default'},
            'id': PROJECT_ID,
            'name': 'demo',
        },
        'is_domain': False,
        'roles': [
            {'id': '9fe2ff9ee4384b1894a90878d3e92bab', 'name': 'member'},
            {'id': 'b1f6f1c2a83f4ab5a3d0d1c37e0e5e3d', 'name': 'reader'},
        ],
        'catalog': [
            {
                'endpoints': [{
                    'id': '0e7a3c2f51f24b3e8e1d9d0c2a5b6c7d',
                    'interface': 'public',
                    'region': 'RegionOne',
                    'region_id': 'RegionOne',
                    'url': 'http://192.0.2.10/identity',
                }],
                'id': '5b1e2c3d4f6a4b8c9d0e1f2a3b4c5d6e',
                'type': 'identity',
                'name': 'keystone',
            },
            {
                'endpoints': [{
                    'id': '7c8d9e0f1a2b4c3d8e9f0a1b2c3d4e5f',
                    'interface': 'public',
                    'region': 'RegionOne',
                    'region_id': 'RegionOne',
                    'url': 'http://192.0.2.10:8003/v1',
                }],
                'id': '3a4b5c6d7e8f4a0b9c1d2e3f4a5b6c7d',
                'type': 'monitoring',
                'name': 'heat-watch',
            },
        ],
    },
}


def keystone_error(code: int, title: str, message: str) -> dict:
    return {'error': {'code': code, 'title': title, 'message': message}}


UNAUTHORIZED = keystone_error(
    401, 'Unauthorized', 'The request you have made requires authentication.')
KEY_NOT_FOUND = keystone_error(401, 'Unauthorized',
                               'EC2 access key not found.')
CREDENTIAL_EXPIRED = keystone_error(401, 'Unauthorized',
                                    'Credential is expired')
NOT_FOUND = keystone_error(404, 'Not Found',
                           'Could not find credential: 6f3c4c0d.')
SERVER_ERROR = keystone_error(
    500, 'Internal Server Error',
    'An unexpected error prevented the server from fulfilling your request.')


# -- The stub Keystone -----------------------------------------------------------

class _KeystoneHandler(http.server.BaseHTTPRequestHandler):

    def do_POST(self):
        stub = self.server.stub
        body = self.rfile.read(int(self.headers.get('Content-Length', 0)))
        stub.requests.append({'path': self.path,
                              'headers': dict(self.headers),
                              'json': json.loads(body)})
        if stub.delay:
            time.sleep(stub.delay)
        status, payload, headers = stub.reply
        data = payload if isinstance(payload, bytes) else json.dumps(
            payload).encode()
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header('Content-Length', str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format, *args):
        pass


class KeystoneStub:
    """Answers every POST with ``reply``; records every request."""

    def __init__(self):
        self.requests: list[dict] = []
        self.delay = 0.0
        self.reply = (200, TOKEN_RESPONSE,
                      {'Content-Type': 'application/json',
                       'X-Subject-Token': SUBJECT_TOKEN})
        self._server = http.server.ThreadingHTTPServer(('127.0.0.1', 0),
                                                       _KeystoneHandler)
        self._server.daemon_threads = True
        self._server.stub = self
        self.url = f'http://127.0.0.1:{self._server.server_address[1]}'

    def answer(self, status: int, payload, content_type='application/json'):
        self.reply = (status, payload, {'Content-Type': content_type})

    def start(self):
        threading.Thread(target=self._server.serve_forever, args=(0.05,),
                         daemon=True).start()

    def stop(self):
        self._server.shutdown()
        self._server.server_close()

    @property
    def sent(self) -> dict:
        """The credentials document of the last request."""
        return self.requests[-1]['json']['credentials']


@pytest.fixture
def stub():
    server = KeystoneStub()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def auth(stub):
    return keystone.KeystoneEC2Authenticator(stub.url + '/v3', timeout=2.0)


def authenticate(auth, req: sig.SignedRequest) -> dict:
    return auth.authenticate(req, sig.extract_credentials(req))


# -- Keystone's side of the check, as keystone's Ec2Signer does it --------------

def _keystone_qs(params: dict) -> str:
    return '&'.join(quote(k, safe='') + '=' + quote(params[k], safe='-_~')
                    for k in sorted(params))


def _keystone_v2(doc: dict, secret: str) -> str:
    params = doc['params']
    digest = {'HmacSHA256': hashlib.sha256,
              'HmacSHA1': hashlib.sha1}[params['SignatureMethod']]
    text = f"{doc['verb']}\n{doc['host']}\n{doc['path']}\n"
    text += _keystone_qs(params)
    mac = hmac.new(secret.encode(), text.encode(), digest)
    return base64.b64encode(mac.digest()).decode()


def _keystone_v4(doc: dict, secret: str) -> str:
    params, headers = doc['params'], doc['headers']

    def auth_param(name):
        if 'Authorization' in headers:
            return headers['Authorization'].partition(
                name + '=')[2].split(',')[0]
        return params.get('X-Amz-' + name)

    lower = {k.lower().strip(): v.strip() for k, v in headers.items()}
    signed = auth_param('SignedHeaders')
    canonical_headers = ''.join(f'{h}:{lower[h]}\n'
                                for h in signed.split(';') if h in lower)
    query = '' if doc['verb'].upper() == 'POST' else _keystone_qs(params)
    canonical = '\n'.join((doc['verb'].upper(), doc['path'], query,
                           canonical_headers, signed, doc['body_hash']))
    scope = auth_param('Credential').split('/')
    date = headers.get('X-Amz-Date') or params.get('X-Amz-Date')
    assert date.startswith(scope[1])  # keystone refuses otherwise
    to_sign = '\n'.join(('AWS4-HMAC-SHA256', date, '/'.join(scope[1:]),
                         hashlib.sha256(canonical.encode()).hexdigest()))
    key = ('AWS4' + secret).encode()
    for part in scope[1:]:
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()


def keystone_accepts(doc: dict, secret: str) -> bool:
    """Would Keystone (Ec2Signer + its retry without port) accept ``doc``?"""
    if doc['params'].get('SignatureVersion') == '2':
        hosts = [doc['host'], doc['host'].split(':')[0]]
        return any(_keystone_v2(dict(doc, host=h), secret) == doc['signature']
                   for h in hosts)
    return _keystone_v4(doc, secret) == doc['signature']


# -- Success ------------------------------------------------------------------------

def test_botocore_v4_request(stub, auth):
    req = signing.botocore_signed()
    identity = authenticate(auth, req)
    assert identity == {'project_id': PROJECT_ID, 'user_id': USER_ID,
                        'token_id': SUBJECT_TOKEN,
                        'roles': ['member', 'reader']}
    assert len(stub.requests) == 1
    assert stub.requests[0]['path'] == '/v3/ec2tokens'
    doc = stub.sent
    creds = sig.extract_credentials(req)
    assert doc['access'] == signing.ACCESS
    assert doc['signature'] == creds.signature
    assert (doc['verb'], doc['host'], doc['path']) == (
        'POST', '127.0.0.1:8003', '/v1')
    assert doc['params'] == {}
    assert doc['body_hash'] == hashlib.sha256(req.body).hexdigest()
    assert doc['headers']['Authorization'] == req.header('authorization')
    assert doc['headers']['X-Amz-Date'] == req.header('x-amz-date')
    assert doc['headers']['Host'] == '127.0.0.1:8003'
    assert doc['headers']['X-Amz-Target'] == signing.JSON_HEADERS[
        'X-Amz-Target']
    assert keystone_accepts(doc, signing.SECRET)
    assert not keystone_accepts(doc, signing.WRONG_SECRET)


@pytest.mark.parametrize('client', ['botocore-form-header',
                                    'botocore-get-presigned',
                                    'boto2-v4-get', 'boto2-v4-post'])
def test_other_v4_requests_let_keystone_recompute(stub, auth, client):
    req = signing.ALL_CLIENTS[client]()
    authenticate(auth, req)
    doc = stub.sent
    assert 'X-Amz-Signature' not in doc['params']
    assert keystone_accepts(doc, signing.SECRET)


def test_only_signed_headers_are_sent(stub, auth):
    req = signing.boto3_put_metric_data()
    authenticate(auth, req)
    sent = {name.lower() for name in stub.sent['headers']}
    assert sent == {'authorization', 'content-type', 'host', 'x-amz-date',
                    'x-amz-target', 'x-amzn-query-mode'}
    assert keystone_accepts(stub.sent, signing.SECRET)


@pytest.mark.parametrize('verb', ['GET', 'POST'])
def test_boto2_v2_request(stub, auth, verb):
    req = signing.boto2_signed(verb, v2=True)
    authenticate(auth, req)
    doc = stub.sent
    assert doc['signature'] == req.params['Signature']
    assert (doc['verb'], doc['host'], doc['path']) == (verb, '127.0.0.1',
                                                       '/v1/')
    assert 'Signature' not in doc['params']
    assert doc['params']['SignatureMethod'] == 'HmacSHA256'
    assert doc['params']['Namespace'] == 'App/Web Tier'
    assert doc['body_hash'] == hashlib.sha256(req.body).hexdigest()
    assert keystone_accepts(doc, signing.SECRET)
    assert not keystone_accepts(doc, signing.WRONG_SECRET)


@pytest.mark.parametrize('auth_uri', ['', '/', '/v3', '/v3/', '/v2.0'])
def test_auth_uri_is_normalised_to_v3(stub, auth_uri):
    auth = keystone.KeystoneEC2Authenticator(stub.url + auth_uri)
    authenticate(auth, signing.botocore_signed())
    assert stub.requests[-1]['path'] == '/v3/ec2tokens'


def test_token_id_is_optional(stub, auth):
    stub.answer(200, TOKEN_RESPONSE)
    assert authenticate(auth, signing.botocore_signed())['token_id'] is None


def test_unscoped_token_is_access_denied(stub, auth):
    token = copy.deepcopy(TOKEN_RESPONSE)
    del token['token']['project']
    stub.answer(200, token)
    with pytest.raises(errors.AccessDenied):
        authenticate(auth, signing.botocore_signed())


# -- Refusals -----------------------------------------------------------------------

def test_keystone_401_is_signature_mismatch(stub, auth, caplog):
    stub.answer(401, UNAUTHORIZED)
    req = signing.botocore_signed()
    with caplog.at_level(logging.DEBUG), pytest.raises(errors.SignatureDoesNotMatch) as raised:
        authenticate(auth, req)
    assert raised.value.message == sig.MISMATCH_MESSAGE
    assert raised.value.status == 403
    creds = sig.extract_credentials(req)
    assert creds.signature not in caplog.text
    assert creds.signature not in raised.value.message
    assert '401' in caplog.text


def test_keystone_403_is_signature_mismatch(stub, auth):
    stub.answer(403, keystone_error(403, 'Forbidden', 'Forbidden.'))
    with pytest.raises(errors.SignatureDoesNotMatch):
        authenticate(auth, signing.boto2_signed(v2=True))


@pytest.mark.parametrize('status, payload', [(401, KEY_NOT_FOUND),
                                             (404, NOT_FOUND)])
def test_unknown_access_key(stub, auth, status, payload):
    stub.answer(status, payload)
    with pytest.raises(errors.InvalidClientTokenId) as raised:
        authenticate(auth, signing.botocore_signed())
    assert raised.value.message == (
        'The security token included in the request is invalid.')


def test_keystone_says_expired(stub, auth):
    stub.answer(401, CREDENTIAL_EXPIRED)
    with pytest.raises(errors.RequestExpired):
        authenticate(auth, signing.boto2_signed(v2=True))


def test_keystone_400_is_incomplete_signature(stub, auth):
    stub.answer(400, keystone_error(400, 'Bad Request',
                                    'Invalid input for field'))
    with pytest.raises(errors.IncompleteSignature):
        authenticate(auth, signing.botocore_signed())


def test_expired_request_does_not_reach_keystone(stub, auth):
    req = signing.botocore_signed(
        when=datetime.datetime.now(datetime.UTC)
        - datetime.timedelta(minutes=20))
    with pytest.raises(exceptions.RequestExpired):
        authenticate(auth, req)
    assert stub.requests == []


# -- Keystone unavailable -------------------------------------------------------------

def _unavailable(auth, req):
    with pytest.raises(errors.ServiceUnavailable) as raised:
        authenticate(auth, req)
    assert raised.value.status == 503
    assert not raised.value.sender_fault
    return raised.value


def test_keystone_500(stub, auth, caplog):
    stub.answer(500, SERVER_ERROR)
    req = signing.boto2_signed(v2=True)
    with caplog.at_level(logging.DEBUG):
        _unavailable(auth, req)
    assert req.params['Signature'] not in caplog.text


def test_html_404_is_misconfiguration(stub, auth):
    stub.answer(404, b'<html>Not Found</html>', content_type='text/html')
    _unavailable(auth, signing.botocore_signed())


def test_garbage_token_is_unavailable(stub, auth):
    stub.answer(200, b'{"token": "nope"', content_type='application/json')
    _unavailable(auth, signing.botocore_signed())


def test_connection_refused():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        port = sock.getsockname()[1]
    auth = keystone.KeystoneEC2Authenticator(f'http://127.0.0.1:{port}/v3', timeout=2.0)
    _unavailable(auth, signing.botocore_signed())


def test_timeout(stub):
    stub.delay = 1.0
    auth = keystone.KeystoneEC2Authenticator(stub.url, timeout=0.2)
    _unavailable(auth, signing.botocore_signed())


def test_tls_options():
    build = keystone.KeystoneEC2Authenticator
    assert build('https://k/v3', cafile='/ca.pem')._verify == '/ca.pem'
    assert build('https://k/v3', verify=False, cafile='/ca.pem')._verify is False
    assert build('https://k/v3', certfile='/c', keyfile='/k')._cert == ('/c',
                                                                        '/k')
