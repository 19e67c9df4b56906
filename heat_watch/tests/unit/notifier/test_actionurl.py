"""How the network policy reads an action URL."""

import ipaddress

import pytest

from heat_watch.notifier import actionurl


@pytest.mark.parametrize('address, embedded', [
    ('::ffff:127.0.0.1', '127.0.0.1'),
    ('::127.0.0.1', '127.0.0.1'),
    ('2002:a9fe:a9fe::1', '169.254.169.254'),
    ('64:ff9b::7f00:1', '127.0.0.1'),
    ('2001:db8::1', None),
    ('::1', None),
    ('192.0.2.1', None),
])
def test_ipv6_addresses_that_stand_for_ipv4_ones_are_checked_as_both(address, embedded):
    found = actionurl.embedded_ipv4(ipaddress.ip_address(address))
    assert (str(found) if found else None) == embedded


@pytest.mark.parametrize('url, host_header, origin', [
    ('https://Hooks.Example.com:8443/p?q=1', 'hooks.example.com:8443',
     'https://hooks.example.com:8443'),
    ('https://hooks.example.com./', 'hooks.example.com', 'https://hooks.example.com'),
    ('http://hooks.example.com:80/', 'hooks.example.com', 'http://hooks.example.com'),
    ('http://[2001:DB8::10]:8080/', '[2001:db8::10]:8080', 'http://[2001:db8::10]:8080'),
])
def test_the_target_keeps_the_name_for_host_header_and_tls(url, host_header, origin):
    target = actionurl.parse_target(url)
    assert (target.host_header, target.origin) == (host_header, origin)
