"""Pre-signed URLs (webhooks, wait-condition handles): valid as made, for as
long as their credential lives, and broken by any change."""

import datetime
import urllib.parse

import pytest

from heat_watch.common import exceptions
from heat_watch.identity import signing

URL = 'http://127.0.0.1:8004/v1/p1/stacks/s/id1/resources/policy/signal'


def _verify(url: str, secret: str = 'secret', method: str = 'POST', **kwargs) -> None:
    parts = urllib.parse.urlsplit(url)
    params = dict(urllib.parse.parse_qsl(parts.query, keep_blank_values=True))
    # PATH_INFO, as a WSGI server hands it to the verifier: decoded.
    request = signing.SignedRequest(method=method, host=parts.netloc,
                                    path=urllib.parse.unquote(parts.path),
                                    query_string=parts.query, params=params)
    creds = signing.extract_credentials(request)
    assert creds.access_key == 'AKID'
    signing.verify(request, creds, secret, **kwargs)


def test_a_presigned_url_verifies_with_its_secret():
    _verify(signing.presign_url('POST', URL, 'AKID', 'secret'))


def test_a_presigned_url_outlives_the_request_time_window_only_without_time_checks():
    old = signing.presign_url('POST', URL, 'AKID', 'secret',
                              now=datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC))
    _verify(old, check_time=False)
    with pytest.raises(exceptions.RequestExpired):
        _verify(old)


@pytest.mark.parametrize('change', [
    lambda u: u.replace('/policy/', '/other/'),
    lambda u: u.replace('127.0.0.1:8004', '127.0.0.1:8005'),
    lambda u: u.replace('/p1/', '/p2/'),
    lambda u: u + '&extra=1',
])
def test_any_change_to_a_presigned_url_breaks_it(change):
    with pytest.raises(exceptions.SignatureDoesNotMatch):
        _verify(change(signing.presign_url('POST', URL, 'AKID', 'secret')), check_time=False)


def test_another_method_or_secret_does_not_verify():
    url = signing.presign_url('POST', URL, 'AKID', 'secret')
    with pytest.raises(exceptions.SignatureDoesNotMatch):
        _verify(url, method='GET', check_time=False)
    with pytest.raises(exceptions.SignatureDoesNotMatch):
        _verify(url, secret='other', check_time=False)


def test_existing_query_parameters_are_signed_too():
    url = signing.presign_url('POST', URL + '?kind=up', 'AKID', 'secret')
    assert 'kind=up' in url
    _verify(url)
    with pytest.raises(exceptions.SignatureDoesNotMatch):
        _verify(url.replace('kind=up', 'kind=down'), check_time=False)


def test_names_that_need_percent_encoding_verify_as_the_server_sees_them():
    url = signing.presign_url(
        'POST', 'http://127.0.0.1:8004/v1/p1/stacks/my%20stack/id1/resources/'
        'scale%20up%20%C3%A9/signal', 'AKID', 'secret')
    _verify(url)
    with pytest.raises(exceptions.SignatureDoesNotMatch):
        _verify(url.replace('scale%20up', 'scale%20down'), check_time=False)
