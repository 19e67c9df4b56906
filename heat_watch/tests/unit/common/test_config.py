"""Process-wide settings applied at start-up."""

import gc

import pytest

from heat_watch.common import config


@pytest.fixture
def saved_threshold():
    saved = gc.get_threshold()
    yield saved
    gc.set_threshold(*saved)


def test_the_young_generation_threshold_is_raised(saved_threshold):
    config.tune_gc(12_345)
    assert gc.get_threshold() == (12_345,) + saved_threshold[1:]


def test_zero_keeps_pythons_setting(saved_threshold):
    config.tune_gc(0)
    assert gc.get_threshold() == saved_threshold
