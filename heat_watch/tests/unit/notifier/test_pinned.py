"""Requests go to the vetted address, with the name kept for Host and TLS."""

import ipaddress

import pytest
import requests

from heat_watch.notifier import actionurl, netpolicy, pinned


def _vetted(url: str, *addresses: str) -> netpolicy.Vetted:
    return netpolicy.Vetted(actionurl.parse_target(url),
                            tuple(ipaddress.ip_address(a) for a in addresses))


@pytest.mark.parametrize('url, address, path, query, expected', [
    ('https://hooks.example.com/x', '203.0.113.10', '/x', 'a=1&Signature=s',
     'https://203.0.113.10:443/x?a=1&Signature=s'),
    ('http://hooks.example.com:8080', '2001:db8::1', '', '', 'http://[2001:db8::1]:8080/'),
    ('http://[2001:db8::1]:8004/v1', '2001:db8::1', '/v1', '', 'http://[2001:db8::1]:8004/v1'),
])
def test_the_request_url_names_the_vetted_address(url, address, path, query, expected):
    vetted = _vetted(url, address)
    assert pinned.request_url(vetted, vetted.addresses[0], path, query) == expected


def _pool_kwargs(url: str, host: str) -> dict:
    request = requests.Request('POST', url, headers={'Host': host}).prepare()
    _params, kwargs = pinned.PinnedAdapter().build_connection_pool_key_attributes(
        request, True)
    return kwargs


@pytest.mark.parametrize('url, host, server_hostname', [
    ('https://203.0.113.10:443/', 'hooks.example.com', 'hooks.example.com'),
    ('https://203.0.113.10:8443/', 'hooks.example.com:8443', 'hooks.example.com'),
    ('https://203.0.113.10:443/', '203.0.113.10', None),
    ('https://[2001:db8::1]:8443/', '[2001:db8::1]:8443', None),
    ('http://203.0.113.10:80/', 'hooks.example.com', None),
])
def test_tls_is_done_on_the_name_of_the_host_header(url, host, server_hostname):
    assert _pool_kwargs(url, host).get('server_hostname') == server_hostname


def test_the_session_ignores_proxies_and_netrc_from_the_environment(monkeypatch):
    monkeypatch.setenv('HTTP_PROXY', 'http://proxy.example.com:3128')
    monkeypatch.setenv('HTTPS_PROXY', 'http://proxy.example.com:3128')
    session = pinned.new_session()

    assert session.trust_env is False
    assert session.proxies == {}
    assert isinstance(session.get_adapter('https://203.0.113.10/'), pinned.PinnedAdapter)
    assert isinstance(session.get_adapter('http://203.0.113.10/'), pinned.PinnedAdapter)
