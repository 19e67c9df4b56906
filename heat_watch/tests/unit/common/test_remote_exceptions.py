"""An exception rebuilt by oslo.messaging from an engine's reply says its
message, never the engine's traceback: the APIs put str(error) in the
bodies clients read."""

import sys

from oslo_messaging._drivers import common as rpc_common

from heat_watch.common import exceptions


def _over_the_wire(error: Exception) -> Exception:
    try:
        raise error
    except Exception:
        wired = rpc_common.serialize_remote_exception(sys.exc_info())
    return rpc_common.deserialize_remote_exception(wired, ['heat_watch.common.exceptions'])


def test_a_rebuilt_error_keeps_its_class_and_message_without_the_traceback():
    rebuilt = _over_the_wire(exceptions.InvalidParameterValue(name='period',
                                                              reason='must be positive.'))
    assert isinstance(rebuilt, exceptions.InvalidParameterValue)
    assert type(rebuilt).__name__.endswith('_Remote')
    assert str(rebuilt) == rebuilt.message
    assert 'Traceback' not in str(rebuilt) and 'period' in str(rebuilt)


def test_errors_of_other_libraries_keep_what_oslo_messaging_gives():
    rebuilt = _over_the_wire(ValueError('plain'))
    assert 'plain' in str(rebuilt)
