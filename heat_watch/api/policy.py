"""The REST API's policy enforcer (defaults in heat_watch.api.policies)."""

from oslo_config import cfg
from oslo_policy import policy

from heat_watch.api import errors, policies

_ENFORCERS: dict[int, policy.Enforcer] = {}


def get_enforcer(conf: cfg.ConfigOpts = cfg.CONF) -> policy.Enforcer:
    """The enforcer of ``conf`` (one per configuration object)."""
    enforcer = _ENFORCERS.get(id(conf))
    if enforcer is None:
        enforcer = policy.Enforcer(conf)
        enforcer.register_defaults(policies.list_rules())
        _ENFORCERS[id(conf)] = enforcer
    return enforcer


def check(conf: cfg.ConfigOpts, ctxt, rule: str, target: dict | None = None) -> bool:
    """Whether the policy allows ``rule`` to ``ctxt`` on ``target``."""
    target = target if target is not None else {'project_id': ctxt.project_id}
    return get_enforcer(conf).enforce(rule, target, ctxt.to_policy_values())


def authorize(conf: cfg.ConfigOpts, ctxt, rule: str, target: dict | None = None) -> None:
    """Raise PolicyNotAuthorized (403) unless the policy allows ``rule``."""
    if not check(conf, ctxt, rule, target):
        raise errors.PolicyNotAuthorized(action=rule)
