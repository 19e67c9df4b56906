"""The notifier's network policy: which http(s) action URLs may be POSTed to.

An alarm action makes the notifier send a request, from inside the cloud,
to an address the tenant chose. Unchecked, that reaches the cloud's
metadata service, the services listening on the notifier's loopback and
the control plane's networks; and the outcome recorded in the alarm's
history turns the notifier into a port scanner. So the policy is checked
twice: when an alarm is created (the engine refuses the action, see
:func:`check_alarm_action`) and before each delivery, where the REST
notifier connects only to the addresses checked here (see
:mod:`heat_watch.notifier.pinned`): a name that resolves to another address
between the check and the connection (DNS rebinding) gains nothing.

The decision for one URL:

1. only ``http`` and ``https`` are network schemes (others pass untouched);
   user info (``user:password@``) is refused; an IPv4 address only in its
   dotted-decimal form (``2130706433``, ``0177.0.0.1``, ``0x7f.1`` are
   refused: resolvers read them as 127.0.0.1); ASCII host names only;
2. a host name is resolved and EVERY address it resolves to must pass,
   with each IPv4 address an IPv6 address embeds (IPv4-mapped,
   IPv4-compatible, 6to4, NAT64);
3. an address and port of an ``allowed_endpoints`` entry passes;
4. otherwise the port must be in ``allowed_ports``, and of the networks of
   ``allowed_networks``, ``denied_networks`` (and the private ranges while
   ``deny_private_networks`` is on) that hold the address, the most
   specific decides, an allowance winning a tie (so that allowing a denied
   network as it is written opens it); an address in none passes.
"""

import dataclasses
import functools
import ipaddress
import socket
import urllib.parse
from collections.abc import Callable, Iterable, Iterator

from oslo_config import cfg
from oslo_log import log

from heat_watch.common import exceptions
from heat_watch.notifier import actionurl, base

LOG = log.getLogger(__name__)

GROUP = 'notifier'

# Networks no webhook has a reason to reach from the notifier's host.
DEFAULT_DENIED_NETWORKS = [
    '0.0.0.0/8',           # "this network": 0.0.0.0 reaches the local host
    '127.0.0.0/8',         # loopback
    '169.254.0.0/16',      # link-local, the metadata service 169.254.169.254
    '224.0.0.0/4',         # multicast
    '240.0.0.0/4',         # reserved, broadcast 255.255.255.255
    '100.100.100.200/32',  # a metadata address inside the shared range
    '::/128',              # unspecified
    '::1/128',             # loopback
    'fe80::/10',           # link-local
    'fec0::/10',           # site-local (deprecated, still routed by some)
    'ff00::/8',            # multicast
    'fd00:ec2::254/128',   # the metadata service over IPv6
]
PRIVATE_NETWORKS = ('10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16',
                    '100.64.0.0/10', 'fc00::/7')

OPTS = [
    cfg.ListOpt('allowed_networks', default=[],
                help='Networks (CIDR) alarm actions may reach even though a '
                     'wider denied network holds them, e.g. one private '
                     'subnet of webhook receivers. The most specific of the '
                     'allowed and denied networks holding an address '
                     'decides.'),
    cfg.ListOpt('denied_networks', default=DEFAULT_DENIED_NETWORKS,
                help='Networks (CIDR) alarm actions may not reach. The '
                     'default denies loopback, link-local (the metadata '
                     'service), unspecified, multicast and reserved '
                     'addresses; when changing it, keep those.'),
    cfg.BoolOpt('deny_private_networks', default=True,
                help='Deny the private ranges (10.0.0.0/8, 172.16.0.0/12, '
                     '192.168.0.0/16, 100.64.0.0/10, fc00::/7), where a '
                     'cloud\'s control plane usually lives. Open a part of '
                     'them with allowed_networks, or all with False.'),
    cfg.ListOpt('allowed_ports', default=['80', '443', '1024-65535'],
                help='Ports (N) or port ranges (N-M) alarm actions may use, '
                     'except for allowed_endpoints.'),
    cfg.ListOpt('allowed_endpoints', default=[],
                help='Endpoints alarm actions may always reach, whatever '
                     'the networks and ports: this service\'s own APIs '
                     'that receive webhooks, e.g. '
                     'http://192.0.2.10:8004. Each is a URL or host:port; '
                     'its host\'s addresses and its port are allowed '
                     '(the path is not checked).'),
]

Address = actionurl.Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Resolver = Callable[[str, int], list[str]]


class UnresolvedHost(base.RetryableError):
    """The action's host name does not resolve (now)."""

    def __init__(self):
        super().__init__('the host name does not resolve')


@dataclasses.dataclass(frozen=True)
class Vetted:
    """A URL the policy allows, with the only addresses the notifier may
    connect to for it, in the resolver's order of preference."""

    target: actionurl.Target
    addresses: tuple[Address, ...]


def _networks(values: Iterable[str], option: str) -> list[Network]:
    networks = []
    for value in values:
        try:
            networks.append(ipaddress.ip_network(value.strip(), strict=False))
        except ValueError:
            raise exceptions.ConfigurationError(
                reason='[notifier] %s: %r is not a network (CIDR)' % (option, value)) from None
    return networks


def _port_ranges(values: Iterable[str]) -> tuple[tuple[int, int], ...]:
    ranges = []
    for value in values:
        low, _, high = value.strip().partition('-')
        try:
            first, last = int(low), int(high or low)
        except ValueError:
            first = last = 0
        if not 1 <= first <= last <= 65535:
            raise exceptions.ConfigurationError(
                reason='[notifier] allowed_ports: %r is not a port or a range of ports (N-M)'
                % value)
        ranges.append((first, last))
    return tuple(ranges)


def _endpoint(value: str) -> tuple[str, int]:
    text = value.strip()
    try:
        target = actionurl.parse_target(text if '://' in text else 'http://' + text)
    except actionurl.PolicyViolation as exc:
        raise exceptions.ConfigurationError(
            reason='[notifier] allowed_endpoints: %r: %s' % (value, exc.problem)) from None
    if target is None:
        raise exceptions.ConfigurationError(
            reason='[notifier] allowed_endpoints: %r is not an http(s) endpoint' % value)
    return target.host, target.port


def resolve(host: str, port: int) -> list[str]:
    """The addresses ``host`` resolves to for a TCP connection, in the
    resolver's order; raises UnresolvedHost."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM,
                                   proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError):
        raise UnresolvedHost() from None
    return [info[4][0] for info in infos]


class NetworkPolicy:
    """Decides which addresses and ports alarm actions may reach."""

    def __init__(self, *, allowed: Iterable[Network] = (), denied: Iterable[Network] = (),
                 ports: Iterable[tuple[int, int]] = ((1, 65535),),
                 endpoints: Iterable[tuple[str, int]] = (),
                 resolver: Resolver = resolve):
        # Most specific first; at equal prefix length an allowance comes first.
        rules = [(net, True) for net in allowed] + [(net, False) for net in denied]
        self._rules = sorted(rules, key=lambda rule: (-rule[0].prefixlen, not rule[1]))
        self._ports = tuple(ports)
        self._endpoints = tuple(endpoints)
        self._resolve = resolver

    @classmethod
    def from_conf(cls, conf: cfg.ConfigOpts, resolver: Resolver = resolve) -> 'NetworkPolicy':
        """The policy the [notifier] options describe; ConfigurationError if
        one of them is malformed."""
        group = conf[GROUP]
        denied = list(group.denied_networks)
        if group.deny_private_networks:
            denied.extend(PRIVATE_NETWORKS)
        return _cached_policy(tuple(group.allowed_networks), tuple(denied),
                              tuple(group.allowed_ports), tuple(group.allowed_endpoints),
                              resolver)

    def network_allows(self, address: Address) -> bool:
        """Whether the networks let ``address`` (and what it embeds) through."""
        return all(self._decide(each) for each in _with_embedded(address))

    def _decide(self, address: Address) -> bool:
        for network, allows in self._rules:
            if network.version == address.version and address in network:
                return allows
        return True

    def port_allows(self, port: int) -> bool:
        """Whether ``allowed_ports`` holds ``port``."""
        return any(low <= port <= high for low, high in self._ports)

    def _endpoint_addresses(self, port: int) -> set[Address]:
        addresses = set()
        for host, endpoint_port in self._endpoints:
            if endpoint_port != port:
                continue
            try:
                addresses.update(_addresses(host, port, self._resolve))
            except UnresolvedHost:
                LOG.warning('[notifier] allowed_endpoints: the host %s does not resolve', host)
        return addresses

    def check(self, url: str) -> Vetted | None:
        """The vetted form of ``url``, None when its scheme is not http(s).

        Raises PolicyViolation when the policy forbids it, UnresolvedHost
        when its host name does not resolve.
        """
        target = actionurl.parse_target(url)
        if target is None:
            return None
        if target.literal is not None:
            addresses = [target.literal]
        else:
            addresses = _addresses(target.host, target.port, self._resolve)
        endpoints = self._endpoint_addresses(target.port)
        if all(address in endpoints for address in addresses):
            return Vetted(target, tuple(addresses))
        if not self.port_allows(target.port):
            raise actionurl.PolicyViolation('port %d is not allowed' % target.port)
        if not all(self.network_allows(address) for address in addresses):
            raise actionurl.PolicyViolation(self._denied_problem(target))
        return Vetted(target, tuple(addresses))

    @staticmethod
    def _denied_problem(target: actionurl.Target) -> str:
        if target.literal is not None:
            return 'the address %s is in a denied network' % target.host
        # Which address the name resolved to is the operator's business.
        return 'the host %s resolves to an address in a denied network' % target.host


@functools.lru_cache(maxsize=16)
def _cached_policy(allowed: tuple[str, ...], denied: tuple[str, ...], ports: tuple[str, ...],
                   endpoints: tuple[str, ...], resolver: Resolver) -> NetworkPolicy:
    return NetworkPolicy(allowed=_networks(allowed, 'allowed_networks'),
                         denied=_networks(denied, 'denied_networks'),
                         ports=_port_ranges(ports),
                         endpoints=[_endpoint(value) for value in endpoints],
                         resolver=resolver)


def _with_embedded(address: Address) -> Iterator[Address]:
    yield address
    inner = actionurl.embedded_ipv4(address)
    if inner is not None:
        yield inner


def _addresses(host: str, port: int, resolver: Resolver) -> list[Address]:
    literal = _maybe_ip(host)
    if literal is not None:
        return [literal]
    found: list[Address] = []
    for text in resolver(host, port):
        address = ipaddress.ip_address(text.split('%', 1)[0])
        if address not in found:
            found.append(address)
    if not found:
        raise UnresolvedHost()
    return found


def _maybe_ip(host: str) -> Address | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def validate(conf: cfg.ConfigOpts) -> None:
    """Raise ConfigurationError, naming the option, when a policy option is
    malformed: called when a service starts, so that a typo stops it there
    rather than failing every alarm creation or delivery."""
    NetworkPolicy.from_conf(conf)


def check_alarm_action(conf: cfg.ConfigOpts, field: str, url: str) -> None:
    """Refuse, when an alarm is created, an action the notifier would refuse.

    Raises InvalidParameterValue naming the URL's origin and its problem
    (never its user info, path or query). A host name that does not resolve
    now is accepted: it is checked again before each delivery.
    """
    try:
        NetworkPolicy.from_conf(conf).check(url)
    except UnresolvedHost:
        return
    except actionurl.PolicyViolation as exc:
        raise exceptions.InvalidParameterValue(
            name=field, reason='the action to %s is %s: %s.'
            % (_origin(url), actionurl.REFUSED, exc.problem)) from None


def _origin(url: str) -> str:
    try:
        target = actionurl.parse_target(url)
    except actionurl.PolicyViolation:
        target = None
    if target is not None:
        return target.origin
    try:
        parts = urllib.parse.urlsplit(url)
        return '%s://%s' % (parts.scheme, parts.netloc.rpartition('@')[2])
    except ValueError:
        return 'an unparseable URL'


def allow_service_endpoint(conf: cfg.ConfigOpts, url: str) -> None:
    """Add one of this service's own webhook endpoints to
    ``[notifier] allowed_endpoints`` (kept with the operator's entries), as
    an embedded deployment does for the API that receives scaling webhooks."""
    current = list(conf[GROUP].allowed_endpoints)
    if url not in current:
        conf.set_override('allowed_endpoints', current + [url], group=GROUP)
