"""https:// actions against a real TLS receiver on loopback, its certificate
issued by a CA generated for the test."""

import pytest

from heat_watch.notifier import service as notifier_service
from heat_watch.tests.functional.notifier import receiver as receivers
from heat_watch.tests.functional.notifier import support


@pytest.fixture
def ca(tmp_path):
    return receivers.CertificateAuthority(tmp_path)


def _deliver(conf, engine, receiver, count=1):
    service = notifier_service.NotifierService(conf)
    service.start()
    try:
        support.make_sender(conf)(receiver.url + '/hook')
        return engine.wait_for(count)
    finally:
        service.stop()
        receiver.close()


def test_https_receiver_signed_by_the_configured_ca_gets_the_action(conf, engine, ca):
    conf.set_override('rest_ca_file', ca.ca_file, group='notifier')
    receiver = receivers.Receiver(tls=ca.server_context())

    [result] = _deliver(conf, engine, receiver)

    assert (result['outcome'], result['status']) == ('delivered', 200)
    assert receiver.completed[0].json['current'] == 'alarm'


def test_untrusted_certificate_fails_at_once_without_reaching_the_receiver(
        conf, engine, ca):
    # Verified against the system CAs, which do not know the test CA.
    receiver = receivers.Receiver(tls=ca.server_context())

    [result] = _deliver(conf, engine, receiver)

    assert (result['attempt'], result['outcome'], result['status']) == (1, 'failed', None)
    assert result['error'] == 'TLS error: certificate verification failed'
    assert receiver.started == []


def test_verification_can_be_turned_off(conf, engine, ca):
    conf.set_override('rest_verify_ssl', False, group='notifier')
    receiver = receivers.Receiver(tls=ca.server_context())

    [result] = _deliver(conf, engine, receiver)

    assert result['outcome'] == 'delivered'


def test_client_certificate_is_presented_to_a_receiver_that_requires_one(conf, engine, ca):
    cert, key = ca.client_cert()
    conf.set_override('rest_ca_file', ca.ca_file, group='notifier')
    conf.set_override('rest_client_cert', cert, group='notifier')
    conf.set_override('rest_client_key', key, group='notifier')
    receiver = receivers.Receiver(tls=ca.server_context(require_client_cert=True))

    [result] = _deliver(conf, engine, receiver)

    assert (result['outcome'], result['status']) == ('delivered', 200)


def test_a_missing_ca_file_is_a_permanent_failure_told_to_the_operator_only(
        conf, engine, ca, tmp_path, caplog):
    conf.set_override('rest_ca_file', str(tmp_path / 'absent.pem'), group='notifier')
    receiver = receivers.Receiver(tls=ca.server_context())

    [result] = _deliver(conf, engine, receiver)

    assert (result['attempt'], result['outcome']) == (1, 'failed')
    assert result['error'] == 'TLS configuration error of the notifier'
    assert 'absent.pem' in caplog.text


def test_without_a_client_certificate_the_receiver_never_gets_the_action(conf, engine, ca):
    conf.set_override('rest_ca_file', ca.ca_file, group='notifier')
    receiver = receivers.Receiver(tls=ca.server_context(require_client_cert=True))

    results = _deliver(conf, engine, receiver, count=conf.notifier.max_attempts)

    assert results[-1]['outcome'] == 'failed'
    # TLS 1.3 refuses a missing client certificate after the handshake: the
    # receiver closes the connection. Never 'connection refused': it listened.
    assert results[-1]['error'] in ('TLS error', 'connection closed by the receiver',
                                    'connection failed'), results[-1]
    assert receiver.started == []
