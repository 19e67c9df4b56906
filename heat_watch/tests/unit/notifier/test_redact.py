"""Secrets in webhook URLs never reach a log line or the alarm history."""

import pytest

from heat_watch.notifier import base

HEAT_PRESIGNED = (
    'https://heat.example.com:8000/v1/signal/arn%3Aopenstack%3Aheat%3A%3Aproj'
    '%3Astacks%2Fs%2F1%2Fresources%2FScaleUp?Timestamp=2026-11-23T10%3A00%3A00Z'
    '&SignatureMethod=HmacSHA256&AWSAccessKeyId=4567abcd&SignatureVersion=2'
    '&Signature=Zm9vYmFy%2Bc2VjcmV0%3D')


@pytest.mark.parametrize('url, expected', [
    (HEAT_PRESIGNED, HEAT_PRESIGNED.replace('AWSAccessKeyId=4567abcd', 'AWSAccessKeyId=***')
     .replace('Signature=Zm9vYmFy%2Bc2VjcmV0%3D', 'Signature=***')),
    ('http://admin:s3cret@hooks.example.com/x', 'http://admin:***@hooks.example.com/x'),
    ('http://admin@hooks.example.com/x', 'http://admin@hooks.example.com/x'),
    ('https://s3.example.com/b/k?X-Amz-Credential=AKID%2F2026&X-Amz-Signature=abc&x=1',
     'https://s3.example.com/b/k?X-Amz-Credential=***&X-Amz-Signature=***&x=1'),
    ('http://h/p?token=t1&password=p1&secret=s1&sig=g1&signature=n1',
     'http://h/p?token=***&password=***&secret=***&sig=***&signature=***'),
    ('http://h/p?access_token=a&client_secret=b&TOKEN=c',
     'http://h/p?access_token=***&client_secret=***&TOKEN=***'),
    ('http://h/p#access_token=frag', 'http://h/p#access_token=***'),
    ('http://h/p?token=', 'http://h/p?token='),
    ('http://h/p?a=1&b=2', 'http://h/p?a=1&b=2'),
    ('log://', 'log://'),
    ('log://?token=abc', 'log://?token=***'),
    ('http://[::1/broken', '<unparseable URL>'),
])
def test_redact_url(url, expected):
    assert base.redact_url(url) == expected


def test_redact_url_keeps_non_secret_parameters_byte_for_byte():
    redacted = base.redact_url(HEAT_PRESIGNED)
    assert 'Timestamp=2026-11-23T10%3A00%3A00Z' in redacted
    assert 'SignatureMethod=HmacSHA256' in redacted and 'SignatureVersion=2' in redacted


def test_redact_text_masks_the_secrets_of_a_url_in_any_encoding():
    text = ('Max retries exceeded with url: /signal?Signature=Zm9vYmFy%2Bc2VjcmV0%3D '
            '(decoded Zm9vYmFy+c2VjcmV0=) for admin:s3cret AWSAccessKeyId=4567abcd')
    url = HEAT_PRESIGNED.replace('https://', 'https://admin:s3cret@')

    redacted = base.redact_text(text, url)

    for secret in ('Zm9vYmFy', '4567abcd', 's3cret'):
        assert secret not in redacted
    assert 'Max retries exceeded with url: /signal?Signature=***' in redacted


def test_redact_text_leaves_text_alone_when_the_url_has_no_secret():
    assert base.redact_text('connection refused', 'http://h/p?a=1') == 'connection refused'
