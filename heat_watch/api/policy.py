"""The REST API's policy enforcer (defaults in heat_watch.api.policies)."""

import threading
import time
from collections.abc import Mapping
from typing import Any

from oslo_config import cfg
from oslo_policy import policy

from heat_watch.api import errors, policies

# oslo.policy looks for the policy file (a search of the configuration
# directories and a stat) on every check, two of them a request; a decision
# is remembered for this long, so that a changed policy file still takes
# effect within a second.
DECISION_TTL = 1.0
_MAX_DECISIONS = 4096


class _Policy:
    """An enforcer and the decisions it made in the last DECISION_TTL."""

    def __init__(self, conf: cfg.ConfigOpts):
        self.enforcer = policy.Enforcer(conf)
        self.enforcer.register_defaults(policies.list_rules())
        self._lock = threading.Lock()
        self._decisions: dict[Any, bool] = {}
        self._since = time.monotonic()

    def check(self, rule: str, target: dict, credentials: dict) -> bool:
        try:
            key = (rule, _frozen(target), _frozen(credentials))
        except TypeError:  # an unhashable value: decided afresh
            return self.enforcer.enforce(rule, target, credentials)
        with self._lock:
            if time.monotonic() - self._since > DECISION_TTL or \
                    len(self._decisions) >= _MAX_DECISIONS:
                self._decisions.clear()
                self._since = time.monotonic()
            decided = self._decisions.get(key)
        if decided is None:
            decided = bool(self.enforcer.enforce(rule, target, credentials))
            with self._lock:
                self._decisions[key] = decided
        return decided


def _frozen(value: Any) -> Any:
    """A hashable copy of a target or credentials (dicts, lists, scalars)."""
    if isinstance(value, Mapping):
        return tuple(sorted((k, _frozen(v)) for k, v in value.items()))
    if isinstance(value, (list, tuple)):
        return tuple(_frozen(v) for v in value)
    hash(value)
    return value


_POLICIES: dict[int, _Policy] = {}


def _policy_of(conf: cfg.ConfigOpts) -> _Policy:
    found = _POLICIES.get(id(conf))
    if found is None:
        found = _POLICIES[id(conf)] = _Policy(conf)
    return found


def get_enforcer(conf: cfg.ConfigOpts = cfg.CONF) -> policy.Enforcer:
    """The enforcer of ``conf`` (one per configuration object)."""
    return _policy_of(conf).enforcer


def forget(conf: cfg.ConfigOpts) -> None:
    """Drop ``conf``'s enforcer and decisions (its policy options changed)."""
    _POLICIES.pop(id(conf), None)


def check(conf: cfg.ConfigOpts, ctxt, rule: str, target: dict | None = None) -> bool:
    """Whether the policy allows ``rule`` to ``ctxt`` on ``target``."""
    target = target if target is not None else {'project_id': ctxt.project_id}
    return _policy_of(conf).check(rule, target, ctxt.to_policy_values())


def authorize(conf: cfg.ConfigOpts, ctxt, rule: str, target: dict | None = None) -> None:
    """Raise PolicyNotAuthorized (403) unless the policy allows ``rule``."""
    if not check(conf, ctxt, rule, target):
        raise errors.PolicyNotAuthorized(action=rule)
