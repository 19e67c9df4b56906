"""When to try an alarm action again: exponential backoff, capped, optionally
jittered, for a bounded number of attempts. Pure: no clock, no sleeping."""

import dataclasses
import random
from collections.abc import Callable

from oslo_config import cfg

GROUP = 'notifier'
OPTS = [
    cfg.IntOpt('max_attempts', default=5, min=1,
               help='Attempts to deliver an alarm action (the first one '
                    'included) before it is recorded as failed.'),
    cfg.FloatOpt('retry_initial_delay', default=1.0, min=0,
                 help='Seconds before the second attempt; each further wait '
                      'doubles, up to retry_max_delay.'),
    cfg.FloatOpt('retry_max_delay', default=60.0, min=0,
                 help='Longest wait, in seconds, between two attempts (also '
                      'the cap on a receiver\'s Retry-After).'),
    cfg.BoolOpt('retry_jitter', default=True,
                help='Wait a random time between half and all of each '
                     'backoff delay, so that actions failing together do '
                     'not retry together.'),
]


@dataclasses.dataclass(frozen=True)
class RetryPolicy:
    """Backoff between the attempts of one delivery.

    Without jitter the wait after attempt ``n`` is
    ``min(max_delay, initial_delay * multiplier ** (n - 1))``; with jitter it
    is uniform in [half of that, all of it] ("equal jitter"): spread out,
    yet never an immediate retry.
    """

    max_attempts: int = 5
    initial_delay: float = 1.0
    max_delay: float = 60.0
    multiplier: float = 2.0
    jitter: bool = False

    @classmethod
    def from_conf(cls, conf: cfg.ConfigOpts) -> 'RetryPolicy':
        """The policy the [notifier] options describe."""
        group = conf[GROUP]
        return cls(max_attempts=group.max_attempts,
                   initial_delay=group.retry_initial_delay,
                   max_delay=group.retry_max_delay,
                   jitter=group.retry_jitter)

    def should_retry(self, attempt: int) -> bool:
        """Whether another attempt may follow failed attempt ``attempt`` (1-based)."""
        return attempt < self.max_attempts

    def delay(self, attempt: int, rand: Callable[[], float] = random.random) -> float:
        """Seconds to wait after failed attempt ``attempt`` (1-based)."""
        try:
            backoff = self.initial_delay * self.multiplier ** (attempt - 1)
        except OverflowError:
            backoff = self.max_delay
        backoff = min(self.max_delay, backoff)
        if self.jitter:
            return backoff / 2 + rand() * backoff / 2
        return backoff

    def delay_before_retry(self, attempt: int, retry_after: float | None = None) -> float:
        """The wait after failed attempt ``attempt``, at least the receiver's
        Retry-After, never more than max_delay."""
        wait = self.delay(attempt)
        if retry_after is not None:
            wait = max(wait, min(retry_after, self.max_delay))
        return wait
