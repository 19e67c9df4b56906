"""The retry policy: exponential backoff, its cap, jitter, the attempt limit."""

import pytest

from heat_watch import opts
from heat_watch.notifier import retry


def _delays(policy) -> list[float]:
    """The waits between the attempts of one delivery, in order."""
    return [policy.delay(attempt) for attempt in range(1, policy.max_attempts)]


def test_delays_double_from_the_initial_delay():
    policy = retry.RetryPolicy(max_attempts=5, initial_delay=1.0, max_delay=60.0)
    assert _delays(policy) == [1.0, 2.0, 4.0, 8.0]


def test_delays_are_capped_at_the_max_delay():
    policy = retry.RetryPolicy(max_attempts=7, initial_delay=1.0, max_delay=5.0)
    assert _delays(policy) == [1.0, 2.0, 4.0, 5.0, 5.0, 5.0]


def test_a_huge_attempt_number_waits_the_max_delay_without_overflowing():
    policy = retry.RetryPolicy(max_attempts=10**6, initial_delay=1.0, max_delay=60.0)
    assert policy.delay(5000) == 60.0


@pytest.mark.parametrize('max_attempts, retried_after', [
    (1, []), (2, [1]), (5, [1, 2, 3, 4])])
def test_max_attempts_counts_the_first_attempt(max_attempts, retried_after):
    policy = retry.RetryPolicy(max_attempts=max_attempts)
    assert [n for n in range(1, 10) if policy.should_retry(n)] == retried_after
    assert len(_delays(policy)) == max_attempts - 1


def test_jitter_waits_between_half_and_all_of_the_backoff():
    policy = retry.RetryPolicy(initial_delay=4.0, max_delay=60.0, jitter=True)
    assert policy.delay(2, rand=lambda: 0.0) == 4.0
    assert policy.delay(2, rand=lambda: 0.5) == 6.0
    assert policy.delay(2, rand=lambda: 1.0) == 8.0


def test_jitter_spreads_the_delays_within_the_bounds():
    policy = retry.RetryPolicy(max_attempts=200, initial_delay=10.0, max_delay=10.0,
                               jitter=True)
    delays = _delays(policy)
    assert all(5.0 <= d <= 10.0 for d in delays)
    assert len(set(delays)) > 1


def test_retry_after_lengthens_the_wait_up_to_the_max_delay():
    policy = retry.RetryPolicy(initial_delay=1.0, max_delay=30.0)
    assert policy.delay_before_retry(1, retry_after=None) == 1.0
    assert policy.delay_before_retry(1, retry_after=0.2) == 1.0
    assert policy.delay_before_retry(1, retry_after=12) == 12.0
    assert policy.delay_before_retry(1, retry_after=3600) == 30.0


def test_policy_from_the_notifier_options():
    from oslo_config import cfg
    conf = cfg.ConfigOpts()
    opts.register_all(conf)
    conf(args=[], default_config_files=[])
    conf.set_override('max_attempts', 3, group='notifier')
    conf.set_override('retry_max_delay', 7.5, group='notifier')

    policy = retry.RetryPolicy.from_conf(conf)

    assert policy == retry.RetryPolicy(max_attempts=3, initial_delay=1.0, max_delay=7.5,
                                       jitter=True)
