"""Secrets in the orchestration database: sealed (encrypted) when stored,
masked when shown.

What a resource keeps may hold secrets: values of hidden (NoEcho)
parameters reach its resolved properties (and from them the plugin's data),
and a plugin's data may be a secret of its own (a RandomString's value).
Resolved properties holding a hidden parameter's value are stored sealed as a
whole; data values holding one, and data keys a plugin lists in
``secret_data``, are sealed one by one; the properties snapshot of an event
shows such values as ``******``.
"""

import json
from typing import Any

from heat_watch.common import crypto

SEALED = '__sealed__'
MASK = '******'


def seal(box: crypto.SecretBox, value: Any) -> dict:
    """``value`` encrypted, in a form :func:`unseal` recognises."""
    return {SEALED: box.encrypt(json.dumps(value))}


def is_sealed(value: Any) -> bool:
    """Whether ``value`` is a sealed one."""
    return isinstance(value, dict) and len(value) == 1 and SEALED in value


def unseal(box: crypto.SecretBox, value: Any) -> Any:
    """The value inside a sealed one; any other value as it is."""
    if is_sealed(value):
        return json.loads(box.decrypt(value[SEALED]))
    return value


def holds(value: Any, secrets: frozenset[str]) -> bool:
    """Whether a secret occurs anywhere in ``value``."""
    if not secrets:
        return False
    if isinstance(value, str):
        return any(secret in value for secret in secrets)
    if isinstance(value, dict):
        return any(holds(v, secrets) for v in value.values())
    if isinstance(value, list):
        return any(holds(v, secrets) for v in value)
    return False


def mask(value: Any, secrets: frozenset[str]) -> Any:
    """``value`` with every occurrence of a secret replaced by ``******``."""
    if not secrets:
        return value
    if isinstance(value, str):
        for secret in secrets:
            value = value.replace(secret, MASK)
        return value
    if isinstance(value, dict):
        return {k: mask(v, secrets) for k, v in value.items()}
    if isinstance(value, list):
        return [mask(v, secrets) for v in value]
    return value


def secrets_of(parameters: dict, hidden: frozenset[str] | set[str]) -> frozenset[str]:
    """The values of the hidden parameters (non-empty strings only)."""
    found = set()
    for name in hidden:
        value = parameters.get(name)
        if value is None or value == '':
            continue
        found.add(value if isinstance(value, str) else json.dumps(value))
    return frozenset(found)
