"""Outages are logged once when they start and once when they end."""

import logging

import pytest

from heat_watch.common import outage

LOGGER = 'heat_watch.tests.outage'


@pytest.fixture
def detector():
    return outage.OutageDetector('the test database', logging.getLogger(LOGGER))


def _lines(caplog, level):
    return [r.getMessage() for r in caplog.records if r.name == LOGGER and r.levelno == level]


def test_a_storm_of_failures_logs_one_warning_and_a_debug_line_per_request(detector, caplog):
    caplog.set_level(logging.DEBUG, logger=LOGGER)
    started = [detector.failed(ConnectionRefusedError('refused'), 'req-%d' % i, 'ListMetrics')
               for i in range(500)]
    assert started == [True] + [False] * 499
    warnings = _lines(caplog, logging.WARNING)
    assert len(warnings) == 1
    assert warnings[0].startswith('The test database is unavailable (ConnectionRefusedError: '
                                  'refused)')
    assert 'ListMetrics req-0' in warnings[0]
    debug = _lines(caplog, logging.DEBUG)
    assert len(debug) == 499 and 'req-499' in debug[-1]
    assert detector.down


def test_the_first_success_after_an_outage_logs_its_end_once(detector, caplog):
    caplog.set_level(logging.DEBUG, logger=LOGGER)
    assert detector.succeeded() is False  # no outage: nothing to say
    for _ in range(3):
        detector.failed('gone')
    assert detector.succeeded() is True
    assert detector.succeeded() is False
    assert not detector.down
    warnings = _lines(caplog, logging.WARNING)
    assert len(warnings) == 2
    assert warnings[1].startswith('The test database is available again after ')
    assert '(3 requests failed meanwhile)' in warnings[1]


def test_each_outage_is_logged_on_its_own(detector, caplog):
    caplog.set_level(logging.WARNING, logger=LOGGER)
    for _ in range(2):
        detector.failed('gone')
        detector.failed('gone')
        detector.succeeded()
    assert len(_lines(caplog, logging.WARNING)) == 4


class _Wrapped(Exception):
    def __init__(self, inner):
        super().__init__('(psycopg2.OperationalError) server closed\n[SQL: INSERT secret]')
        self.orig = inner


def test_description_is_the_innermost_error_first_line_without_statement():
    inner = OSError('server closed the connection unexpectedly\nThis probably means...')
    assert outage.describe(_Wrapped(inner)) == (
        'OSError: server closed the connection unexpectedly')
    assert len(outage.describe('x' * 5000)) < 400
