"""Alarm rule types: stevedore plugins under ``heat_watch.alarm.rule``.

Each rule type (``threshold``, ``composite``; later others) is one plugin,
named as the alarm type it serves, and is shared by the evaluator and by
every API: it validates its rule, names the metrics it watches, and
evaluates a batch of its alarms. A new alarm type is a model record and a
plugin registered in setup.cfg.
"""

import functools

import stevedore

from heat_watch.watch.rules.base import RuleType

NAMESPACE = 'heat_watch.alarm.rule'

__all__ = ['NAMESPACE', 'RuleType', 'get', 'in_sweep_order', 'names']


@functools.cache
def _manager() -> stevedore.ExtensionManager:
    return stevedore.ExtensionManager(NAMESPACE, invoke_on_load=True)


def names() -> list[str]:
    """The installed rule types."""
    return sorted(_manager().names())


def in_sweep_order() -> list[RuleType]:
    """Every installed rule type, in the order a sweep evaluates them."""
    return sorted((ext.obj for ext in _manager()), key=lambda r: (r.sweep_order, r.name))


def get(alarm_type: str) -> RuleType:
    """The plugin of one rule type (KeyError if none is installed)."""
    return _manager()[alarm_type].obj
