"""Time-ordered UUIDs: valid version 7 UUIDs whose strings sort by time."""

import time
import uuid
from unittest import mock

from heat_watch.common import ids


def test_a_time_ordered_uuid_is_a_version_7_rfc_uuid_carrying_its_millisecond():
    before = time.time_ns() // 1_000_000
    value = uuid.UUID(ids.time_ordered_uuid())
    after = time.time_ns() // 1_000_000
    assert value.version == 7
    assert value.variant == uuid.RFC_4122
    assert before <= value.int >> 80 <= after


def test_ids_of_later_milliseconds_sort_after_earlier_ones_as_strings():
    stamps = [1_700_000_000_000 + step for step in (0, 1, 2, 1000, 86_400_000)]
    made = []
    for stamp in stamps:
        with mock.patch.object(ids.time, 'time_ns', return_value=stamp * 1_000_000):
            made.append(ids.time_ordered_uuid())
    assert made == sorted(made)
    assert [uuid.UUID(m).int >> 80 for m in made] == stamps


def test_ids_of_one_millisecond_differ():
    with mock.patch.object(ids.time, 'time_ns', return_value=1_700_000_000_000_000_000):
        made = {ids.time_ordered_uuid() for _ in range(1000)}
    assert len(made) == 1000
