"""The real notifier service under its network policy: receivers on
loopback allowed explicitly or not, names resolved by a resolver of the
test's own (so that a name can "move"), the connection pinned to the
checked address."""

import logging

import pytest

from heat_watch.common import exceptions
from heat_watch.notifier import client, netpolicy, rest
from heat_watch.notifier import service as notifier_service
from heat_watch.tests.functional.notifier import receiver as receivers
from heat_watch.tests.functional.notifier import support

REFUSED = "refused by the notifier's network policy: "


class Resolver:
    """A DNS the test controls; counts the lookups."""

    def __init__(self, **names: list[str]):
        self.names = {name.replace('_', '.'): addresses for name, addresses in names.items()}
        self.lookups: list[str] = []

    def __call__(self, host: str, port: int) -> list[str]:
        self.lookups.append(host)
        if host not in self.names:
            raise netpolicy.UnresolvedHost()
        return self.names[host]


@pytest.fixture
def resolver(monkeypatch):
    fake = Resolver()
    monkeypatch.setattr(rest.RestNotifier, 'resolver', staticmethod(fake))
    return fake


@pytest.fixture
def receivers_pair():
    pair = receivers.Receiver(), receivers.Receiver()
    yield pair
    for each in pair:
        each.close()


def _run(conf, *urls: str, count: int | None = None) -> list[dict]:
    """Deliver ``urls`` (one alarm each) with a notifier of ``conf``; the results."""
    with support.fake_engine(conf) as engine:
        service = notifier_service.NotifierService(conf)
        service.start()
        try:
            send = support.make_sender(conf)
            for i, url in enumerate(urls):
                send(url, alarm_id='alarm-%d' % i)
            engine.wait_for(count or len(urls))
        finally:
            service.stop()
    return [result for _, result in sorted(engine.results, key=lambda r: r[0])]


def test_a_receiver_allowed_as_an_endpoint_gets_the_action_and_another_port_is_refused(
        receivers_pair):
    allowed, other = receivers_pair
    conf = support.make_conf(allowed_networks=[], allowed_endpoints=[allowed.url])

    delivered, refused = _run(conf, allowed.url + '/hook', other.url + '/hook')

    assert (delivered['outcome'], delivered['status']) == ('delivered', 200)
    assert allowed.completed[0].path == '/hook'
    assert (refused['attempt'], refused['outcome'], refused['status']) == (1, 'failed', None)
    assert refused['error'] == REFUSED + 'the address 127.0.0.1 is in a denied network'
    assert other.started == []


def test_by_default_loopback_is_refused_and_an_open_port_looks_like_a_closed_one(receiver):
    conf = support.make_conf(allowed_networks=[])
    closed = 'http://127.0.0.1:%d/hook' % support.closed_port()

    listening, not_listening = _run(conf, receiver.url + '/hook', closed)

    assert receiver.started == []
    assert (listening['outcome'], listening['status'], listening['error']) == \
        (not_listening['outcome'], not_listening['status'], not_listening['error'])
    assert listening['error'].startswith(REFUSED)


def test_the_metadata_address_is_refused_at_once(conf):
    [result] = _run(conf, 'http://169.254.169.254/latest/meta-data/')

    assert (result['attempt'], result['outcome']) == (1, 'failed')
    assert result['error'] == REFUSED + 'the address 169.254.169.254 is in a denied network'


def test_user_info_is_refused_and_its_password_shows_nowhere(conf, receiver, caplog):
    caplog.set_level(logging.DEBUG)
    url = receiver.url.replace('://', '://alarm:hunter2@') + '/hook'

    [result] = _run(conf, url)

    assert result['error'] == REFUSED + 'user names and passwords are not allowed in action URLs'
    assert receiver.started == []
    assert 'hunter2' not in caplog.text + repr(result)


def test_a_name_that_now_resolves_to_a_denied_address_is_not_delivered(
        conf, receiver, resolver):
    port = receiver.url.rsplit(':', 1)[1]
    url = 'http://hooks.test:%s/hook' % port
    resolver.names['hooks.test'] = ['127.0.0.1']
    [first] = _run(conf, url)
    resolver.names['hooks.test'] = ['169.254.169.254']
    [second] = _run(conf, url)
    resolver.names['hooks.test'] = ['127.0.0.1', '10.0.0.7']
    [third] = _run(conf, url)

    assert first['outcome'] == 'delivered'
    for refused in (second, third):
        assert (refused['attempt'], refused['outcome']) == (1, 'failed')
        assert refused['error'] == \
            REFUSED + 'the host hooks.test resolves to an address in a denied network'
    assert len(receiver.started) == 1


def test_the_connection_goes_to_the_checked_address_with_the_name_as_host(
        conf, receiver, resolver):
    # The system's resolver knows no .invalid name: only the address the
    # policy checked can have been used to connect.
    port = receiver.url.rsplit(':', 1)[1]
    resolver.names['receiver.invalid'] = ['127.0.0.1']

    [result] = _run(conf, 'http://receiver.invalid:%s/hook?x=1' % port)

    assert result['outcome'] == 'delivered'
    request = receiver.completed[0]
    assert request.headers['host'] == 'receiver.invalid:%s' % port
    assert request.path == '/hook?x=1'
    assert resolver.lookups == ['receiver.invalid']  # once: the check, no second lookup


def test_the_next_address_is_tried_when_connecting_to_one_fails(receiver, resolver):
    conf = support.make_conf(allowed_networks=['127.0.0.0/8'])
    port = receiver.url.rsplit(':', 1)[1]
    # The receiver listens on 127.0.0.1 only: 127.0.0.2 refuses the connection.
    resolver.names['two.invalid'] = ['127.0.0.2', '127.0.0.1']

    [result] = _run(conf, 'http://two.invalid:%s/hook' % port)

    assert (result['attempt'], result['outcome']) == (1, 'delivered')
    assert len(receiver.completed) == 1


def test_an_unresolvable_name_is_retried_and_says_so(conf, resolver):
    results = _run(conf, 'http://gone.invalid/hook', count=conf.notifier.max_attempts)

    assert [r['outcome'] for r in results] == ['retrying', 'retrying', 'failed']
    assert results[-1]['error'] == 'the host name does not resolve'


@pytest.fixture
def ca(tmp_path):
    return receivers.CertificateAuthority(tmp_path)


def _tls_receiver(ca) -> tuple[receivers.Receiver, list]:
    names = []
    context = ca.server_context()
    context.sni_callback = lambda sock, name, ctx: names.append(name)
    return receivers.Receiver(tls=context), names


def test_https_to_a_name_is_pinned_yet_sends_and_verifies_the_name(conf, ca, resolver):
    conf.set_override('rest_ca_file', ca.ca_file, group='notifier')
    receiver, sni = _tls_receiver(ca)
    resolver.names['localhost'] = ['127.0.0.1']
    try:
        [result] = _run(conf, receiver.url.replace('127.0.0.1', 'localhost') + '/hook')
    finally:
        receiver.close()

    assert (result['outcome'], result['status']) == ('delivered', 200)
    assert sni == ['localhost']
    assert receiver.completed[0].headers['host'].startswith('localhost:')


def test_https_to_a_name_the_certificate_does_not_hold_fails(conf, ca, resolver):
    conf.set_override('rest_ca_file', ca.ca_file, group='notifier')
    receiver, sni = _tls_receiver(ca)
    resolver.names['impostor.invalid'] = ['127.0.0.1']
    try:
        [result] = _run(conf, receiver.url.replace('127.0.0.1', 'impostor.invalid') + '/hook')
    finally:
        receiver.close()

    assert (result['attempt'], result['outcome']) == (1, 'failed')
    assert result['error'] == 'TLS error: certificate verification failed'
    assert sni == ['impostor.invalid']
    assert receiver.completed == []


@pytest.mark.parametrize('option, value', [
    ('allowed_networks', ['10.0.0.0/33']), ('allowed_ports', ['http']),
    ('allowed_endpoints', ['ftp://192.0.2.1'])])
def test_a_malformed_policy_stops_the_notifier_and_the_engines_sender_at_start(option, value):
    conf = support.make_conf(**{option: value})

    with pytest.raises(exceptions.ConfigurationError, match=option):
        notifier_service.NotifierService(conf, report=lambda *args: None)
    with pytest.raises(exceptions.ConfigurationError, match=option):
        client.AlarmActionSender(conf)
