"""The notifier's network policy over many URL forms, with a resolver of
the test's own (the real one only where a test says so)."""

import pytest
from oslo_config import cfg

from heat_watch import opts
from heat_watch.common import exceptions
from heat_watch.notifier import actionurl, base, netpolicy

DNS = {
    'hooks.example.com': ['203.0.113.10'],
    'v6.example.com': ['2001:db8::10'],
    'dual.example.com': ['2001:db8::11', '203.0.113.11'],
    'metadata.example.com': ['169.254.169.254'],
    'rebound.example.com': ['203.0.113.12', '127.0.0.1'],
    'mapped.example.com': ['::ffff:127.0.0.1'],
    'internal.example.com': ['10.1.2.3'],
    'localhost': ['127.0.0.1', '::1'],
}


def fake_resolver(host: str, port: int) -> list[str]:
    if host not in DNS:
        raise netpolicy.UnresolvedHost()
    return DNS[host]


def make_conf(**overrides) -> cfg.ConfigOpts:
    conf = cfg.ConfigOpts()
    opts.register_all(conf)
    conf(args=[], default_config_files=[])
    for name, value in overrides.items():
        conf.set_override(name, value, group='notifier')
    return conf


def policy(**overrides) -> netpolicy.NetworkPolicy:
    return netpolicy.NetworkPolicy.from_conf(make_conf(**overrides), fake_resolver)


def addresses(vetted) -> list[str]:
    return [str(a) for a in vetted.addresses]


@pytest.mark.parametrize('url, host, port, expected', [
    ('http://203.0.113.10/hook', '203.0.113.10', 80, ['203.0.113.10']),
    ('https://hooks.example.com/x?Signature=abc', 'hooks.example.com', 443, ['203.0.113.10']),
    ('HTTP://HOOKS.Example.COM:8080/', 'hooks.example.com', 8080, ['203.0.113.10']),
    ('http://hooks.example.com./trailing-dot', 'hooks.example.com', 80, ['203.0.113.10']),
    ('http://[2001:db8::10]:8443/', '2001:db8::10', 8443, ['2001:db8::10']),
    ('https://v6.example.com/', 'v6.example.com', 443, ['2001:db8::10']),
    ('https://dual.example.com/', 'dual.example.com', 443, ['2001:db8::11', '203.0.113.11']),
    ('http://8.8.8.8:1024/', '8.8.8.8', 1024, ['8.8.8.8']),
    # The fragment holds the "@": the host is hooks.example.com, as requests reads it.
    ('http://hooks.example.com#@127.0.0.1/', 'hooks.example.com', 80, ['203.0.113.10']),
])
def test_public_addresses_on_allowed_ports_pass_with_every_address_pinned(
        url, host, port, expected):
    vetted = policy().check(url)

    assert (vetted.target.host, vetted.target.port) == (host, port)
    assert addresses(vetted) == expected


@pytest.mark.parametrize('url, problem', [
    # loopback, unspecified, link-local (metadata), multicast, broadcast
    ('http://127.0.0.1/', 'the address 127.0.0.1 is in a denied network'),
    ('http://127.1.2.3:8080/', 'in a denied network'),
    ('http://0.0.0.0:8080/', 'in a denied network'),
    ('http://169.254.169.254/latest/meta-data/', 'in a denied network'),
    ('http://100.100.100.200/', 'in a denied network'),
    ('http://224.0.0.1/', 'in a denied network'),
    ('http://255.255.255.255/', 'in a denied network'),
    # names resolving there: the address is not told
    ('http://localhost:8080/', 'the host localhost resolves to an address in a denied network'),
    ('http://LOCALHOST./', 'the host localhost resolves to an address in a denied network'),
    ('http://metadata.example.com/', 'resolves to an address in a denied network'),
    ('http://rebound.example.com/', 'resolves to an address in a denied network'),
    ('http://mapped.example.com/', 'resolves to an address in a denied network'),
    # IPv4 in forms resolvers accept but readers do not expect
    ('http://2130706433/', 'four decimal numbers'),
    ('http://0x7f000001/', 'four decimal numbers'),
    ('http://0177.0.0.1/', 'four decimal numbers'),
    ('http://0x7f.0.0.1/', 'four decimal numbers'),
    ('http://127.1/', 'four decimal numbers'),
    ('http://127.0.0.1./', 'four decimal numbers'),
    ('http://017700000001/', 'four decimal numbers'),
    # IPv6 forms
    ('http://[::1]/', 'in a denied network'),
    ('http://[0:0:0:0:0:0:0:1]:8080/', 'in a denied network'),
    ('http://[::]/', 'in a denied network'),
    ('http://[::ffff:127.0.0.1]/', 'in a denied network'),
    ('http://[::ffff:7f00:1]/', 'in a denied network'),
    ('http://[::ffff:169.254.169.254]/', 'in a denied network'),
    ('http://[::127.0.0.1]/', 'in a denied network'),
    ('http://[64:ff9b::a9fe:a9fe]/', 'in a denied network'),
    ('http://[2002:7f00:1::]/', 'in a denied network'),
    ('http://[fe80::1%25eth0]/', 'in a denied network'),
    ('http://[fe80::a9fe:a9fe]/', 'in a denied network'),
    ('http://[fd00:ec2::254]/', 'in a denied network'),
    ('http://[ff02::1]/', 'in a denied network'),
    ('http://[not-an-address]/', 'cannot be parsed'),
    # private ranges, denied by default
    ('http://10.0.0.5/', 'in a denied network'),
    ('http://172.16.0.1/', 'in a denied network'),
    ('http://192.168.1.1/', 'in a denied network'),
    ('http://100.64.0.1/', 'in a denied network'),
    ('http://[fd12:3456::1]/', 'in a denied network'),
    ('http://internal.example.com/', 'resolves to an address in a denied network'),
    # user info
    ('http://user:pass@hooks.example.com/', 'user names and passwords are not allowed'),
    ('http://user@hooks.example.com/', 'user names and passwords are not allowed'),
    ('http://127.0.0.1:80@hooks.example.com/', 'user names and passwords are not allowed'),
    ('http://hooks.example.com\\@127.0.0.1/', 'spaces or backslashes'),
    # ports
    ('http://hooks.example.com:22/', 'port 22 is not allowed'),
    ('http://hooks.example.com:25/', 'port 25 is not allowed'),
    ('http://hooks.example.com:0/', 'not a number from 1 to 65535'),
    ('http://hooks.example.com:99999/', 'not a number from 1 to 65535'),
    ('http://hooks.example.com:http/', 'not a number from 1 to 65535'),
    # malformed hosts
    ('http:///no-host', 'no host'),
    ('http://hooks.example.com\t/', 'control characters'),
    ('http://hooks.exa\nmple.com/', 'control characters'),
    ('http://exa mple.com/', 'spaces or backslashes'),
    ('http://bücher.example/', 'xn--'),
    ('http://under*score.example/', 'not a valid host name'),
    ('http://-leading.example/', 'not a valid host name'),
])
def test_forbidden_urls_are_refused_with_the_reason(url, problem):
    with pytest.raises(actionurl.PolicyViolation) as caught:
        policy().check(url)

    assert problem in caught.value.problem
    assert str(caught.value).startswith("refused by the notifier's network policy: ")


def test_a_name_that_does_not_resolve_is_its_own_retryable_error():
    with pytest.raises(netpolicy.UnresolvedHost):
        policy().check('http://nowhere.example.com/')
    assert issubclass(netpolicy.UnresolvedHost, base.RetryableError)


@pytest.mark.parametrize('url', ['log://alarms', 'ftp://127.0.0.1/', 'mailto:x@127.0.0.1'])
def test_other_schemes_are_not_the_network_policys_business(url):
    assert policy().check(url) is None


@pytest.mark.parametrize('overrides, url, allowed', [
    # an operator opens loopback for test receivers, one address only
    ({'allowed_networks': ['127.0.0.1/32']}, 'http://127.0.0.1:8080/', True),
    ({'allowed_networks': ['127.0.0.1/32']}, 'http://127.0.0.2:8080/', False),
    ({'allowed_networks': ['127.0.0.1/32']}, 'http://localhost:8080/', False),  # and ::1
    # a part of the private ranges opened; the rest stays shut
    ({'allowed_networks': ['10.20.0.0/16']}, 'http://10.20.3.4/', True),
    ({'allowed_networks': ['10.20.0.0/16']}, 'http://10.30.3.4/', False),
    # a narrower denial inside an opened network wins
    ({'allowed_networks': ['10.20.0.0/16'], 'denied_networks': ['10.20.5.0/24']},
     'http://10.20.5.1/', False),
    # at equal prefix length an allowance wins: a denied network allowed as written opens
    ({'allowed_networks': ['203.0.113.0/24'], 'denied_networks': ['203.0.113.0/24']},
     'http://hooks.example.com/', True),
    ({'allowed_networks': ['127.0.0.0/8']}, 'http://127.0.0.2:8080/', True),
    ({'allowed_networks': ['10.0.0.0/8']}, 'http://10.200.0.1/', True),
    # private ranges opened altogether; the metadata addresses inside stay denied
    ({'deny_private_networks': False}, 'http://10.0.0.5/', True),
    ({'deny_private_networks': False}, 'http://internal.example.com/', True),
    ({'deny_private_networks': False}, 'http://100.100.100.200/', False),
    ({'deny_private_networks': False}, 'http://[fd00:ec2::254]/', False),
    # the operator's own denials
    ({'denied_networks': ['203.0.113.0/24']}, 'https://hooks.example.com/', False),
    ({'denied_networks': ['0.0.0.0/0', '::/0'], 'allowed_networks': ['203.0.113.10/32']},
     'https://hooks.example.com/', True),
    ({'denied_networks': ['0.0.0.0/0', '::/0'], 'allowed_networks': ['203.0.113.10/32']},
     'https://8.8.8.8/', False),
    # ports
    ({'allowed_ports': ['8000-8100']}, 'http://hooks.example.com:8080/', True),
    ({'allowed_ports': ['8000-8100']}, 'http://hooks.example.com/', False),
    ({'allowed_ports': ['443']}, 'https://hooks.example.com/', True),
    # endpoints: their addresses and port, whatever the networks and ports
    ({'allowed_endpoints': ['http://127.0.0.1:8004']}, 'http://127.0.0.1:8004/v1/signal', True),
    ({'allowed_endpoints': ['http://127.0.0.1:8004']}, 'http://127.0.0.1:8005/', False),
    ({'allowed_endpoints': ['127.0.0.1:8004']}, 'https://127.0.0.1:8004/', True),
    ({'allowed_endpoints': ['localhost:8004']}, 'http://[::1]:8004/', True),
    ({'allowed_endpoints': ['localhost:8004']}, 'http://localhost:8004/', True),
    ({'allowed_endpoints': ['https://192.0.2.1:22']}, 'http://192.0.2.1:22/', True),
    ({'allowed_endpoints': ['nowhere.example.com:8004']}, 'http://127.0.0.1:8004/', False),
    ({'allowed_endpoints': ['http://[::1]:8004']}, 'http://[::ffff:127.0.0.1]:8004/', False),
])
def test_operators_open_and_close_networks_ports_and_endpoints(overrides, url, allowed):
    check = policy(**overrides).check
    if allowed:
        assert check(url) is not None
    else:
        with pytest.raises(actionurl.PolicyViolation):
            check(url)


@pytest.mark.parametrize('overrides, words', [
    ({'allowed_ports': ['ssh']}, "allowed_ports: 'ssh'"),
    ({'allowed_ports': ['100-10']}, 'allowed_ports'),
    ({'allowed_ports': ['0']}, 'allowed_ports'),
    ({'denied_networks': ['10.0.0.0/33']}, "denied_networks: '10.0.0.0/33'"),
    ({'allowed_networks': ['intranet']}, 'allowed_networks'),
    ({'allowed_endpoints': ['ftp://192.0.2.1']}, 'allowed_endpoints'),
    ({'allowed_endpoints': ['admin:secret@192.0.2.1:8004']}, 'allowed_endpoints'),
])
def test_a_malformed_option_is_a_configuration_error_naming_it(overrides, words):
    with pytest.raises(exceptions.ConfigurationError) as caught:
        policy(**overrides)
    assert words in str(caught.value)


# -- the check when an alarm is created (the real resolver) ---------------------


@pytest.mark.parametrize('url, origin, problem', [
    ('http://169.254.169.254/latest/meta-data/iam?token=t0ps3cret',
     'http://169.254.169.254', 'is in a denied network'),
    ('http://alice:hunter2@192.0.2.1/hook', 'http://192.0.2.1',
     'user names and passwords are not allowed'),
    ('https://192.0.2.1:22/hook?Signature=t0ps3cret', 'https://192.0.2.1:22',
     'port 22 is not allowed'),
    ('http://localhost:8080/x', 'http://localhost:8080', 'the host localhost resolves'),
    ('http://2130706433/', 'http://2130706433', 'four decimal numbers'),
])
def test_creating_an_alarm_with_a_forbidden_action_is_invalid_without_its_secrets(
        url, origin, problem):
    with pytest.raises(exceptions.InvalidParameterValue) as caught:
        netpolicy.check_alarm_action(make_conf(), 'AlarmActions', url)

    message = str(caught.value)
    assert message.startswith('The parameter AlarmActions has an invalid value: the action to '
                              + origin + " is refused by the notifier's network policy: ")
    assert problem in message
    for secret in ('t0ps3cret', 'hunter2', 'alice', '/hook', '/latest'):
        assert secret not in message


@pytest.mark.parametrize('url', [
    'https://192.0.2.1/hook', 'log://alarms', 'http://name-that-does-not-resolve.invalid/'])
def test_allowed_unresolvable_and_non_network_actions_are_accepted_at_creation(url):
    assert netpolicy.check_alarm_action(make_conf(), 'OKActions', url) is None


def test_an_embedded_deployment_adds_its_own_endpoint_to_the_operators_ones():
    conf = make_conf(allowed_endpoints=['192.0.2.1:8004'])

    netpolicy.allow_service_endpoint(conf, 'http://127.0.0.1:8004')
    netpolicy.allow_service_endpoint(conf, 'http://127.0.0.1:8004')

    assert conf.notifier.allowed_endpoints == ['192.0.2.1:8004', 'http://127.0.0.1:8004']
    assert netpolicy.check_alarm_action(conf, 'AlarmActions',
                                        'http://127.0.0.1:8004/v1/signal') is None
    with pytest.raises(exceptions.InvalidParameterValue):
        netpolicy.check_alarm_action(conf, 'AlarmActions', 'http://127.0.0.1:8005/')
