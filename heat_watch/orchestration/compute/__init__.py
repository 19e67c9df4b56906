"""Compute drivers: where servers (AWS::EC2::Instance, OS::Nova::Server) run.

Drivers are stevedore plugins of ``heat_watch.orchestration.compute``:
``local`` (the embedded default: processes on this machine), ``nova``
(a real cloud through openstacksdk) and ``fake`` (records only).
"""

import dataclasses
import threading

from oslo_config import cfg
from stevedore import driver

from heat_watch.common import exceptions

NAMESPACE = 'heat_watch.orchestration.compute'
GROUP = 'orchestration'
OPTS = [
    cfg.StrOpt('compute_driver', default='local',
               help='Where servers run: "local" (a process on this machine per '
                    'server, single-machine only), "nova" (an OpenStack cloud, '
                    'see [nova]) or "fake" (servers are only recorded).'),
]

BUILD, ACTIVE, SHUTOFF, ERROR = 'BUILD', 'ACTIVE', 'SHUTOFF', 'ERROR'


@dataclasses.dataclass
class ServerSpec:
    """What a server resource asks a driver to boot."""

    name: str
    image: str
    flavor: str
    user_data: str | None = None
    metadata: dict = dataclasses.field(default_factory=dict)
    key_name: str | None = None
    availability_zone: str | None = None
    credentials: dict | None = None  # written to the server's credentials file


@dataclasses.dataclass
class ServerInfo:
    """A server as a driver sees it now."""

    id: str
    name: str
    status: str  # BUILD, ACTIVE, SHUTOFF or ERROR
    addresses: dict = dataclasses.field(default_factory=dict)
    fault: str | None = None

    @property
    def first_address(self) -> str | None:
        for addresses in self.addresses.values():
            for address in addresses:
                return address.get('addr')
        return None


class ComputeDriver:
    """The operations a compute driver offers."""

    def __init__(self, conf: cfg.ConfigOpts):
        self.conf = conf

    def create_server(self, spec: ServerSpec) -> str:
        """Start booting a server; returns its id."""
        raise NotImplementedError

    def get_server(self, server_id: str) -> ServerInfo | None:
        """The server's current state (None when it does not exist)."""
        raise NotImplementedError

    def delete_server(self, server_id: str) -> None:
        """Delete a server (nothing when it does not exist)."""
        raise NotImplementedError

    def set_metadata(self, server_id: str, metadata: dict) -> None:
        """Replace what the server sees as its metadata (an update of its
        resource's metadata or metadata properties)."""
        raise NotImplementedError

    def availability_zones(self) -> list[str]:
        """Names of the availability zones (Fn::GetAZs)."""
        return ['nova']


_lock = threading.Lock()
_drivers: dict[tuple[int, str], ComputeDriver] = {}


def get_driver(conf: cfg.ConfigOpts) -> ComputeDriver:
    """The configured driver (one instance per configuration)."""
    name = conf[GROUP].compute_driver
    with _lock:
        key = (id(conf), name)
        if key not in _drivers:
            try:
                manager = driver.DriverManager(NAMESPACE, name, invoke_on_load=True,
                                               invoke_args=(conf,))
            except Exception as error:  # stevedore raises several kinds
                raise exceptions.ConfigurationError(
                    reason='compute driver %r cannot be loaded: %s' % (name, error))
            _drivers[key] = manager.driver
        return _drivers[key]
