"""Client side of the identity RPC API (served in the watch engine's process).

The CloudWatch API looks credentials up through it; the orchestrator creates
a stack's scoped credentials at stack creation and deletes them with the
stack. Secrets cross the bus only Fernet-encrypted with the key every
heat_watch service shares (``[credentials] key_file``).

Versions (a client asks each method for the lowest version it needs; a
server at 1.x serves every 1.y <= x):

* 1.0 - create_credential, get_credential, list_credentials,
  delete_credential, delete_stack_credentials.
"""

import oslo_messaging as messaging
from oslo_config import cfg

from heat_watch.common import context as hw_context
from heat_watch.common import rpc
from heat_watch.identity import model
from heat_watch.watch import rpcapi as watch_rpcapi

NAMESPACE = 'identity'
RPC_API_VERSION = '1.0'


class IdentityClient:
    """Calls the identity endpoint on the watch engine's topic.

    Callers with a project may only act on that project's credentials;
    the service's admin context may act on any.
    """

    def __init__(self, conf: cfg.ConfigOpts = cfg.CONF):
        # The watch engine's options: a process that runs no watch engine
        # (heat-watch-orchestrator) has not registered them.
        watch_rpcapi.register_opts(conf)
        target = messaging.Target(topic=conf.watch_engine.topic, namespace=NAMESPACE,
                                  version=RPC_API_VERSION)
        self._client = rpc.get_client(target, conf, timeout=conf.watch_engine.rpc_timeout)

    def _call(self, ctxt: hw_context.RequestContext, version: str, method: str, **kwargs):
        return self._client.prepare(version=version).call(ctxt, method, **kwargs)

    def create_credential(self, ctxt, project_id: str, user_id: str | None = None,
                          description: str | None = None,
                          scope: model.Scope = model.UNRESTRICTED) -> model.Credential:
        """A new credential; its secret comes back encrypted only."""
        wire = self._call(ctxt, '1.0', 'create_credential', project_id=project_id,
                          user_id=user_id, description=description, scope=scope.to_json())
        return model.Credential.from_wire(wire)

    def get_credential(self, ctxt, access: str) -> model.Credential:
        """A credential with its encrypted secret (to verify signatures)."""
        return model.Credential.from_wire(self._call(ctxt, '1.0', 'get_credential',
                                                     access=access))

    def list_credentials(self, ctxt, project_id: str | None = None,
                         stack_id: str | None = None) -> list[model.Credential]:
        """Credentials without their secrets."""
        return [model.Credential.from_wire(wire) for wire in self._call(
            ctxt, '1.0', 'list_credentials', project_id=project_id, stack_id=stack_id)]

    def delete_credential(self, ctxt, access: str) -> None:
        """Delete one credential; what it signed is refused from then on."""
        self._call(ctxt, '1.0', 'delete_credential', access=access)

    def delete_stack_credentials(self, ctxt, stack_id: str) -> int:
        """Delete every credential scoped to a stack of the caller's project."""
        return self._call(ctxt, '1.0', 'delete_stack_credentials', stack_id=stack_id)
