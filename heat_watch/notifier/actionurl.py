"""An http(s) action URL as the notifier's network policy reads it.

The policy decides on the host and port read here, and the notifier
connects to what the policy decided: so there is one reading of a URL,
strict where readers disagree. User info is refused (``http://a@b`` and
``http://a\\@b`` are read differently by different parsers); so is an IPv4
address in any form but four decimal numbers (``2130706433``,
``0177.0.0.1``, ``0x7f.1``, ``127.1`` are 127.0.0.1 to the C resolver);
so are control characters, which urlsplit silently drops.
"""

import dataclasses
import ipaddress
import re
import urllib.parse

from heat_watch.notifier import base

Address = ipaddress.IPv4Address | ipaddress.IPv6Address

REFUSED = "refused by the notifier's network policy"
DEFAULT_PORTS = {'http': 80, 'https': 443}
_NUMERIC_LABEL = re.compile(r'(0x[0-9a-f]*|[0-9]+)\Z')
_NAME_LABEL = re.compile(r'[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?\Z')

_NAT64 = ipaddress.ip_network('64:ff9b::/96')
_IPV4_COMPATIBLE = ipaddress.ip_network('::/96')


class PolicyViolation(base.PermanentError):
    """The network policy forbids an action URL; ``problem`` says why,
    without the URL's secrets."""

    def __init__(self, problem: str):
        super().__init__('%s: %s' % (REFUSED, problem))
        self.problem = problem


@dataclasses.dataclass(frozen=True)
class Target:
    """An http(s) action URL as the policy reads it: ``host`` is lower-case,
    without brackets or trailing dot; ``literal`` is set when it is an IP."""

    scheme: str
    host: str
    port: int
    path: str
    literal: Address | None

    @property
    def host_header(self) -> str:
        """The Host header (and TLS name) the receiver expects."""
        host = '[%s]' % self.host if ':' in self.host else self.host
        return host if self.port == DEFAULT_PORTS[self.scheme] else '%s:%d' % (host, self.port)

    @property
    def origin(self) -> str:
        """scheme://host[:port], safe to show: no user info, path or query."""
        return '%s://%s' % (self.scheme, self.host_header)


def _refuse_characters(url: str, netloc: str) -> None:
    # urlsplit silently drops tabs and line breaks: refuse them rather
    # than deliver to a host other than the one written.
    if any(ord(ch) < 0x20 or ord(ch) == 0x7f for ch in url):
        raise PolicyViolation('the URL contains control characters')
    if any(ch in netloc for ch in ' \\'):
        raise PolicyViolation('the host part contains spaces or backslashes')
    if '@' in netloc:
        raise PolicyViolation('user names and passwords are not allowed in action URLs')


def _parse_ip_literal(host: str, bracketed: bool) -> Address | None:
    if bracketed:
        try:
            return ipaddress.IPv6Address(host.split('%', 1)[0])
        except ValueError:
            raise PolicyViolation('the host is not a valid IPv6 address') from None
    try:
        return ipaddress.IPv4Address(host)
    except ValueError:
        pass
    if all(_NUMERIC_LABEL.match(label) for label in host.rstrip('.').split('.')):
        raise PolicyViolation('an IPv4 address must be written as four decimal numbers '
                              '(a.b.c.d)')
    return None


def _check_name(host: str) -> str:
    if not host.isascii():
        raise PolicyViolation('write international host names in their ASCII (xn--) form')
    name = host[:-1] if host.endswith('.') else host
    if not name or len(name) > 253 or not all(_NAME_LABEL.match(x) for x in name.split('.')):
        raise PolicyViolation('the host is not a valid host name')
    return name


def parse_target(url: str) -> Target | None:
    """The policy's reading of ``url``; None when its scheme is not http(s).

    Raises PolicyViolation for a URL the policy refuses whatever the
    network (user info, odd IPv4 forms, no host, a bad port).
    """
    try:
        parts = urllib.parse.urlsplit(url)
    except ValueError:
        raise PolicyViolation('the URL cannot be parsed') from None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        return None
    _refuse_characters(url, parts.netloc)
    host = parts.hostname or ''
    if not host:
        raise PolicyViolation('the URL has no host')
    try:
        port = parts.port
    except ValueError:
        port = 0
    if port is None:
        port = DEFAULT_PORTS[scheme]
    elif port == 0:
        raise PolicyViolation('the port is not a number from 1 to 65535')
    literal = _parse_ip_literal(host, parts.netloc.rpartition('@')[2].startswith('['))
    if literal is not None:
        host = str(literal)
    else:
        host = _check_name(host)
    return Target(scheme, host, port, parts.path, literal)


def embedded_ipv4(address: Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address stands for or routes to, if any."""
    if address.version == 4:
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address in _NAT64 or (address in _IPV4_COMPATIBLE and int(address) > 1):
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None
