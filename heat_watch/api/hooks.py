"""pecan hooks: what every controller finds on ``pecan.request``."""

from oslo_config import cfg
from pecan import hooks

from heat_watch.api import policy
from heat_watch.api.policies import base as base_policies
from heat_watch.common import context as hw_context


class ConfigHook(hooks.PecanHook):
    """``request.conf``: the service's configuration."""

    def __init__(self, conf: cfg.ConfigOpts):
        self.conf = conf

    def before(self, state) -> None:
        state.request.conf = self.conf


class EngineHook(hooks.PecanHook):
    """``request.engine``: the watch engine's RPC client."""

    def __init__(self, engine):
        self.engine = engine

    def before(self, state) -> None:
        state.request.engine = self.engine


class ContextHook(hooks.PecanHook):
    """``request.context``: who asks, from the identity headers that the auth
    middleware (keystonemiddleware or noauth) set, and the request id that
    oslo.middleware's request_id set."""

    def __init__(self, conf: cfg.ConfigOpts):
        self.conf = conf

    def before(self, state) -> None:
        ctxt = hw_context.RequestContext.from_environ(state.request.environ)
        ctxt.is_admin = policy.check(self.conf, ctxt, base_policies.CONTEXT_IS_ADMIN)
        state.request.context = ctxt


class OrchestratorHook(hooks.PecanHook):
    """``request.orchestrator``: the orchestrator's RPC client (/v1)."""

    def __init__(self, orchestrator):
        self.orchestrator = orchestrator

    def before(self, state) -> None:
        state.request.orchestrator = self.orchestrator
