"""Scaling arithmetic, as AWS Auto Scaling documents simple scaling."""

import pytest

from heat_watch.orchestration import scaling

C, E, P = (scaling.CHANGE_IN_CAPACITY, scaling.EXACT_CAPACITY,
           scaling.PERCENT_CHANGE_IN_CAPACITY)


@pytest.mark.parametrize('current, kind, adjustment, low, high, magnitude, expected', [
    (1, C, 1, 1, 3, None, 2),
    (3, C, 1, 1, 3, None, 3),          # clamped at the top (Heat refused; AWS clamps)
    (1, C, -1, 1, 3, None, 1),         # clamped at the bottom
    (2, C, 5, 1, 3, None, 3),
    (2, E, 0, 1, 3, None, 1),
    (2, E, 3, 1, 3, None, 3),
    (2, E, 9, 1, 3, None, 3),
    (10, P, 50, 1, 100, None, 15),
    (10, P, 25, 1, 100, None, 12),     # 2.5 rounds toward zero: 2
    (10, P, -25, 1, 100, None, 8),     # -2.5 rounds toward zero: -2
    (2, P, 10, 1, 100, None, 3),       # 0.2 rounds to 1
    (2, P, -10, 1, 100, None, 1),      # -0.2 rounds to -1
    (10, P, 10, 1, 100, 3, 13),        # MinAdjustmentMagnitude raises 1 to 3
    (10, P, -10, 1, 100, 3, 7),
    (0, P, 50, 0, 10, None, 0),        # nothing to take a percentage of
])
def test_the_new_capacity_follows_the_adjustment_type_and_the_bounds(
        current, kind, adjustment, low, high, magnitude, expected):
    assert scaling.new_capacity(current, kind, adjustment, low, high, magnitude) == expected


def test_an_unknown_adjustment_type_is_refused():
    with pytest.raises(ValueError):
        scaling.new_capacity(1, 'Double', 1, 1, 3)


@pytest.mark.parametrize('last, cooldown, now, cooling', [
    (None, 60, 1_000_000, False),
    (1_000_000, None, 1_000_001, False),
    (1_000_000, 0, 1_000_001, False),
    (1_000_000, 60, 1_059_999, True),
    (1_000_000, 60, 1_060_000, False),
])
def test_a_group_cools_down_for_the_cooldown_after_it_scaled(last, cooldown, now, cooling):
    assert scaling.in_cooldown(last, cooldown, now) is cooling
