"""The fake compute driver: servers are only recorded, ACTIVE at once.

For large simulations (thousands of servers) and tests; nothing runs.
"""

import threading
import uuid

from heat_watch.orchestration import compute


class FakeDriver(compute.ComputeDriver):
    """Keeps servers in memory; every server is ACTIVE as soon as created."""

    def __init__(self, conf):
        super().__init__(conf)
        self._lock = threading.Lock()
        self.servers: dict[str, tuple[compute.ServerSpec, compute.ServerInfo]] = {}

    def create_server(self, spec: compute.ServerSpec) -> str:
        server_id = str(uuid.uuid4())
        index = len(self.servers) + 1
        info = compute.ServerInfo(
            server_id, spec.name, compute.ACTIVE,
            {'private': [{'addr': '10.%d.%d.%d' % (index >> 16 & 255, index >> 8 & 255,
                                                   index & 255), 'version': 4}]})
        with self._lock:
            self.servers[server_id] = (spec, info)
        return server_id

    def get_server(self, server_id: str) -> compute.ServerInfo | None:
        with self._lock:
            found = self.servers.get(server_id)
        return None if found is None else found[1]

    def set_metadata(self, server_id: str, metadata: dict) -> None:
        with self._lock:
            if server_id in self.servers:
                self.servers[server_id][0].metadata = dict(metadata)

    def delete_server(self, server_id: str) -> None:
        with self._lock:
            self.servers.pop(server_id, None)
