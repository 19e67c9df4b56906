"""Identifiers of rows that are read back in the order they were created."""

import os
import time
import uuid

_RAND_B_BITS = 62


def time_ordered_uuid() -> str:
    """A version 7 UUID (RFC 9562): 48 bits of Unix milliseconds, then
    74 random bits, as its canonical string.

    Sorted as strings, such ids follow creation time, so rows created
    together stay together: the alarm sweep pages by id and rewrites the
    rows of each page, and with random (version 4) ids a page of 1,000
    alarms touched ~1,000 scattered database pages; InnoDB, which clusters
    a table on its primary key, also inserts them in order.
    """
    millis = time.time_ns() // 1_000_000
    rand = int.from_bytes(os.urandom(10), 'big')  # 80 bits; 74 are used
    value = ((millis & (2**48 - 1)) << 80 | 0x7 << 76
             | (rand >> _RAND_B_BITS & 0xFFF) << 64 | 0b10 << 62
             | rand & (2**_RAND_B_BITS - 1))
    return str(uuid.UUID(int=value))
