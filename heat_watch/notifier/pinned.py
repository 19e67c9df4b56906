"""Connecting to the address the network policy checked.

requests resolves the URL's host name when it connects; a receiver's DNS
may by then answer another address than the one the policy checked (DNS
rebinding). So the request is sent to the checked address itself, written
in the URL, while the receiver still sees its name: in the Host header
and, for https, in TLS (the SNI sent and the name the certificate must
match). Environment proxies and .netrc are not used: a proxy would connect
to wherever it likes, and credentials must not be added to a tenant's URL.
"""

import ipaddress

import requests
import requests.adapters

from heat_watch.notifier import netpolicy


def request_url(vetted: netpolicy.Vetted, address: netpolicy.Address, path: str,
                query: str) -> str:
    """The URL that reaches ``address`` for ``vetted`` (fragment dropped)."""
    target = vetted.target
    host = '[%s]' % address if address.version == 6 else str(address)
    return '%s://%s:%d%s%s' % (target.scheme, host, target.port, path or '/',
                               '?' + query if query else '')


def _tls_name(host_header: str | None) -> str | None:
    if not host_header:
        return None
    host = host_header.rsplit(':', 1)[0] if not host_header.endswith(']') else host_header
    host = host.strip('[]')
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return host
    return None  # an IP is verified as is, and sent as no SNI


class PinnedAdapter(requests.adapters.HTTPAdapter):
    """Sends a request to the IP address of its URL, doing TLS on the name
    its Host header carries (SNI and certificate check)."""

    def build_connection_pool_key_attributes(
            self, request: requests.PreparedRequest, verify: bool | str,
            cert: str | tuple[str, str] | None = None) -> tuple[dict, dict]:
        """requests' pool key, plus the TLS name for an https request."""
        host_params, pool_kwargs = super().build_connection_pool_key_attributes(
            request, verify, cert)
        if host_params.get('scheme') == 'https':
            name = _tls_name(request.headers.get('Host'))
            if name:
                # Part of urllib3's pool key: one pool per (address, name).
                pool_kwargs['server_hostname'] = name
        return host_params, pool_kwargs


def new_session() -> requests.Session:
    """A session that connects only where its request URLs say."""
    session = requests.Session()
    session.trust_env = False
    session.proxies = {}
    adapter = PinnedAdapter()
    session.mount('http://', adapter)
    session.mount('https://', adapter)
    return session
