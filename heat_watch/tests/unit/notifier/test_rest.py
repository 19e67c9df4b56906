"""The REST notifier's body, headers, TLS options and error classification."""

import pytest
from oslo_config import cfg

from heat_watch import opts
from heat_watch.notifier import base, rest

PAYLOAD = {
    'action': 'https://h/hook', 'action_id': 'a-1', 'alarm_id': 'alarm-1',
    'alarm_name': 'cpu-high', 'project_id': 'p-1', 'severity': 'moderate',
    'previous': 'OK', 'current': 'INSUFFICIENT_DATA', 'reason': 'no data',
    'reason_data': {'type': 'threshold'}, 'timestamp': '2026-11-23T10:00:00+00:00',
}


@pytest.mark.parametrize('state, spelled', [
    ('OK', 'ok'), ('ALARM', 'alarm'), ('INSUFFICIENT_DATA', 'insufficient data'),
    (None, None)])
def test_states_are_spelled_as_aodh_and_heat_expect(state, spelled):
    assert rest.state_name(state) == spelled


def test_body_holds_exactly_the_receiver_fields():
    assert rest.build_body(PAYLOAD) == {
        'alarm_name': 'cpu-high', 'alarm_id': 'alarm-1', 'severity': 'moderate',
        'previous': 'ok', 'current': 'insufficient data', 'reason': 'no data',
        'reason_data': {'type': 'threshold'}, 'project_id': 'p-1',
        'timestamp': '2026-11-23T10:00:00+00:00'}


def test_body_without_severity_sends_null():
    payload = {k: v for k, v in PAYLOAD.items() if k != 'severity'}
    assert rest.build_body(payload)['severity'] is None


@pytest.mark.parametrize('status, expected', [
    (200, None), (201, None), (204, None),
    (408, base.RetryableError), (429, base.RetryableError), (500, base.RetryableError),
    (502, base.RetryableError), (503, base.RetryableError), (504, base.RetryableError),
    (301, base.PermanentError), (302, base.PermanentError), (400, base.PermanentError),
    (401, base.PermanentError), (403, base.PermanentError), (404, base.PermanentError),
    (409, base.PermanentError), (422, base.PermanentError)])
def test_status_codes_classify_as_delivered_retryable_or_permanent(status, expected):
    assert rest.classify_status(status) is expected


@pytest.fixture
def conf():
    conf = cfg.ConfigOpts()
    opts.register_all(conf)
    conf(args=[], default_config_files=[])
    return conf


@pytest.mark.parametrize('overrides, verify, cert', [
    ({}, True, None),
    ({'rest_ca_file': '/etc/ca.pem'}, '/etc/ca.pem', None),
    ({'rest_verify_ssl': False, 'rest_ca_file': '/etc/ca.pem'}, False, None),
    ({'rest_client_cert': '/c.pem'}, True, '/c.pem'),
    ({'rest_client_cert': '/c.pem', 'rest_client_key': '/c.key'}, True, ('/c.pem', '/c.key')),
])
def test_tls_options_verify_against_system_cas_unless_told_otherwise(
        conf, overrides, verify, cert):
    for name, value in overrides.items():
        conf.set_override(name, value, group='notifier')
    assert rest.RestNotifier(conf)._tls_options() == {'verify': verify, 'cert': cert}


def test_headers_carry_the_action_and_request_ids():
    headers = rest.RestNotifier._headers(dict(PAYLOAD, request_id='req-1'), 'h:8443')
    assert headers == {'Content-Type': 'application/json', 'Host': 'h:8443',
                       'X-Heat-Watch-Action-Id': 'a-1', 'x-openstack-request-id': 'req-1'}


def test_urllib3_debug_lines_do_not_show_query_secrets(caplog):
    import logging
    caplog.set_level(logging.DEBUG, logger='urllib3.connectionpool')
    logging.getLogger('urllib3.connectionpool').debug(
        '%s://%s:%s "%s %s %s" %s %s', 'http', 'h', 80, 'POST',
        '/hook?Signature=t0ps3cret&x=1', 'HTTP/1.1', 200, 0)
    assert 'Signature=***&x=1' in caplog.text and 't0ps3cret' not in caplog.text
