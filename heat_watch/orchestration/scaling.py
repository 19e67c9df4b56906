"""Scaling arithmetic: the capacity an adjustment asks for, and cooldowns.

Pure functions, as AWS Auto Scaling documents them (simple scaling):

* ChangeInCapacity adds the adjustment; ExactCapacity sets it;
  PercentChangeInCapacity adds that percentage of the current capacity,
  rounded toward zero when its magnitude is above 1, else to +-1.
* MinAdjustmentMagnitude raises a percentage change that is smaller.
* The result is clamped into [MinSize, MaxSize] (Heat refused an adjustment
  past a bound instead; AWS clamps, and so do we).
"""

import math

CHANGE_IN_CAPACITY = 'ChangeInCapacity'
EXACT_CAPACITY = 'ExactCapacity'
PERCENT_CHANGE_IN_CAPACITY = 'PercentChangeInCapacity'
ADJUSTMENT_TYPES = (CHANGE_IN_CAPACITY, EXACT_CAPACITY, PERCENT_CHANGE_IN_CAPACITY)
# HOT spells them in snake case.
HOT_ADJUSTMENT_TYPES = {'change_in_capacity': CHANGE_IN_CAPACITY,
                        'exact_capacity': EXACT_CAPACITY,
                        'percent_change_in_capacity': PERCENT_CHANGE_IN_CAPACITY}


def _percent_change(current: int, percent: float, min_magnitude: int | None) -> int:
    change = current * percent / 100.0
    if change == 0:
        steps = 0
    elif abs(change) < 1:
        steps = 1 if change > 0 else -1
    else:
        steps = math.trunc(change)
    if min_magnitude and steps and abs(steps) < min_magnitude:
        steps = min_magnitude if steps > 0 else -min_magnitude
    return steps


def new_capacity(current: int, adjustment_type: str, adjustment: float, min_size: int,
                 max_size: int, min_adjustment_magnitude: int | None = None) -> int:
    """The capacity after an adjustment, within the group's bounds."""
    if adjustment_type == EXACT_CAPACITY:
        wanted = int(adjustment)
    elif adjustment_type == PERCENT_CHANGE_IN_CAPACITY:
        wanted = current + _percent_change(current, adjustment, min_adjustment_magnitude)
    elif adjustment_type == CHANGE_IN_CAPACITY:
        wanted = current + int(adjustment)
    else:
        raise ValueError('unknown adjustment type %s' % adjustment_type)
    return max(min_size, min(max_size, wanted))


def in_cooldown(last_scaled_ms: int | None, cooldown_s: float | None, now_ms: int) -> bool:
    """Whether a group that last scaled at ``last_scaled_ms`` still cools down."""
    if not last_scaled_ms or not cooldown_s:
        return False
    return now_ms < last_scaled_ms + cooldown_s * 1000
