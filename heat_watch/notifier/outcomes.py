"""Where the notifier reports the outcome of each delivery attempt.

The notifier depends on this small interface, not on the watch engine: the
watch engine's RPC client is one implementation (the default, which records
the outcome in the alarm's history); a test, or another engine that sends
actions later, may give its own.
"""

from collections.abc import Callable
from typing import Any, Protocol, TypedDict

from oslo_config import cfg


class ActionOutcome(TypedDict):
    """One delivery attempt of one alarm action."""

    action_id: str | None
    url: str  # secrets redacted
    attempt: int
    outcome: str  # 'delivered' | 'retrying' | 'failed'
    status: int | None
    error: str | None
    timestamp: str  # ISO 8601


class OutcomeReporter(Protocol):
    """Receives the outcome of every delivery attempt."""

    def report(self, ctxt: Any, alarm_id: str, outcome: ActionOutcome) -> None:
        """Record one outcome; may block briefly, may raise (the notifier logs it)."""


class EngineOutcomeReporter:
    """Casts each outcome to the watch engine (``record_action_result``)."""

    def __init__(self, conf: cfg.ConfigOpts):
        # Imported here: only this implementation speaks to the watch engine.
        from heat_watch.watch import rpcapi
        self._client = rpcapi.WatchEngineClient(conf)

    def report(self, ctxt: Any, alarm_id: str, outcome: ActionOutcome) -> None:
        """Cast the outcome to the engine, which adds it to the alarm's history."""
        self._client.record_action_result(ctxt, alarm_id, dict(outcome))


class FunctionReporter:
    """An OutcomeReporter calling ``function(ctxt, alarm_id, outcome)``."""

    def __init__(self, function: Callable[[Any, str, ActionOutcome], None]):
        self._function = function

    def report(self, ctxt: Any, alarm_id: str, outcome: ActionOutcome) -> None:
        """Call the function."""
        self._function(ctxt, alarm_id, outcome)
