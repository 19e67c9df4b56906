"""Instance credentials: the seeds' chicken-and-egg.

An instance must push its metrics, signal its stack's handles and policies
and read its stack's metadata before anyone could hand it a key. So the
orchestrator makes one EC2-style credential per stack through the identity
RPC, scoped to exactly that (:data:`~heat_watch.identity.model.INSTANCE_OPERATIONS`
of the stack's project, stack operations confined to the stack), when the
stack boots its first server, and hands it to every server it boots with the
endpoints the agents need. The compute driver delivers it (local: files in
the server's directory; nova: user data). Deleting the stack deletes every
credential scoped to it, so the key stops authenticating.

The secret is kept only in the identity store (encrypted); the orchestrator
fetches it back from there, so no orchestration table holds it.
"""

from __future__ import annotations

import threading
import urllib.parse
from typing import TYPE_CHECKING

from oslo_config import cfg
from oslo_log import log

from heat_watch.common import context as hw_context
from heat_watch.common import exceptions
from heat_watch.identity import model as identity_model
from heat_watch.orchestration import clients, compute

if TYPE_CHECKING:
    from heat_watch.orchestration.runtime import Runtime

LOG = log.getLogger(__name__)

GROUP = 'orchestration'
DEFAULT_CLOUDWATCH_ENDPOINT = 'http://127.0.0.1:8003/v1'
OPTS = [
    cfg.URIOpt('cloudwatch_endpoint',
               help='URL of the CloudWatch API as instances reach it (their agents '
                    'push metrics there). Default: in heat-watch-all, the one it '
                    'serves; elsewhere %s.' % DEFAULT_CLOUDWATCH_ENDPOINT),
]
DESCRIPTION = 'instances of stack %s'


def cloudwatch_endpoint(conf: cfg.ConfigOpts) -> str:
    """The CloudWatch API's URL instances are told to use."""
    return (conf[GROUP].cloudwatch_endpoint or DEFAULT_CLOUDWATCH_ENDPOINT).rstrip('/')


def instance_scope(stack_id: str) -> identity_model.Scope:
    """What an instance credential of a stack may do."""
    return identity_model.Scope(operations=identity_model.INSTANCE_OPERATIONS,
                                stack_id=stack_id)


def metadata_path(project_id: str, stack_name: str, stack_id: str, resource: str) -> str:
    """The REST API's route of a resource's metadata (Heat's /v1 form)."""
    quote = urllib.parse.quote
    return '/v1/%s/stacks/%s/%s/resources/%s/metadata' % (
        quote(project_id, safe=''), quote(stack_name, safe=''), quote(stack_id, safe=''),
        quote(resource, safe=''))


class InstanceCredentials:
    """Finds or makes the instance credential of a stack, once per stack."""

    def __init__(self, runtime: Runtime):
        self.runtime = runtime
        self._lock = threading.Lock()
        self._known: dict[str, tuple[str, str]] = {}  # stack id -> (access, secret)

    def _context(self, project_id: str) -> hw_context.RequestContext:
        return hw_context.RequestContext(project_id=project_id)

    def _find_or_create(self, project_id: str, stack_id: str) -> tuple[str, str]:
        identity = clients.identity(self.runtime)
        ctxt = self._context(project_id)
        wanted = instance_scope(stack_id)
        credential = next((c for c in identity.list_credentials(ctxt, project_id, stack_id)
                           if c.scope == wanted), None)
        if credential is None:
            credential = identity.create_credential(ctxt, project_id,
                                                    description=DESCRIPTION % stack_id,
                                                    scope=wanted)
        else:
            credential = identity.get_credential(ctxt, credential.access)
        return credential.access, self.runtime.box.decrypt(credential.secret_encrypted)

    def for_stack(self, stack_id: str) -> tuple[str, str, dict]:
        """(access, secret, stack facts) of a stack's instance credential."""
        record = self.runtime.stacks.get(stack_id)
        # One orchestrator works on a stack at a time (the stack lock); the
        # lock here covers the threads of one stack operation.
        with self._lock:
            if stack_id not in self._known:
                self._known[stack_id] = self._find_or_create(record.project_id, stack_id)
            access, secret = self._known[stack_id]
        return access, secret, {'project_id': record.project_id, 'stack_name': record.name}

    def server_credentials(self, metadata: dict) -> dict | None:
        """What a server of the stack named in its ``metadata`` is given
        (None for a server outside any stack)."""
        stack_id = metadata.get('heat_stack_id')
        if not stack_id:
            return None
        access, secret, facts = self.for_stack(stack_id)
        resource = metadata.get('heat_resource_name') or ''
        conf = self.runtime.conf
        return {'access': access, 'secret': secret, 'stack_id': stack_id,
                'stack_name': facts['stack_name'], 'project_id': facts['project_id'],
                'resource_name': resource, 'region': self.runtime.region,
                'api_endpoint': clients.api_base(conf),
                'cloudwatch_endpoint': cloudwatch_endpoint(conf),
                'metadata_url': clients.api_base(conf) + metadata_path(
                    facts['project_id'], facts['stack_name'], stack_id, resource),
                'autoscaling_group': metadata.get('AutoScalingGroupName')}

    def revoke(self, project_id: str, stack_id: str) -> int:
        """Delete every credential scoped to the stack; returns how many."""
        with self._lock:
            self._known.pop(stack_id, None)
        try:
            return clients.identity(self.runtime).delete_stack_credentials(
                self._context(project_id), stack_id)
        except exceptions.NotFound:
            return 0


class CredentialingDriver(compute.ComputeDriver):
    """A compute driver whose servers receive their stack's instance
    credential. Drivers that deliver credentials say so with
    ``delivers_credentials``; the others (fake) are left as they are."""

    def __init__(self, driver: compute.ComputeDriver, credentials: InstanceCredentials):
        super().__init__(driver.conf)
        self.driver = driver
        self.credentials = credentials

    def __getattr__(self, name: str):
        return getattr(self.driver, name)

    def create_server(self, spec: compute.ServerSpec) -> str:
        if spec.credentials is None and getattr(self.driver, 'delivers_credentials', False):
            spec.credentials = self.credentials.server_credentials(spec.metadata)
        return self.driver.create_server(spec)

    def get_server(self, server_id: str) -> compute.ServerInfo | None:
        return self.driver.get_server(server_id)

    def delete_server(self, server_id: str) -> None:
        self.driver.delete_server(server_id)

    def set_metadata(self, server_id: str, metadata: dict) -> None:
        self.driver.set_metadata(server_id, metadata)

    def availability_zones(self) -> list[str]:
        return self.driver.availability_zones()
