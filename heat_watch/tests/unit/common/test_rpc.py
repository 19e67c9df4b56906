"""RPC endpoints: the caller's own errors are expected, not engine failures."""

import oslo_messaging as messaging
import pytest

from heat_watch.common import exceptions, rpc


@rpc.answers_project_errors
class Endpoint:
    target = messaging.Target(version='1.0')

    def refuse(self, ctxt):
        raise exceptions.InvalidNextToken()

    def break_down(self, ctxt):
        raise ValueError('a bug')

    def answer(self, ctxt, value):
        return value * 2

    def _helper(self):
        raise exceptions.InvalidNextToken()


def test_a_project_error_is_marked_expected_and_keeps_the_original():
    with pytest.raises(messaging.ExpectedException) as raised:
        Endpoint().refuse({})
    assert isinstance(raised.value.exc_info[1], exceptions.InvalidNextToken)


def test_other_errors_answers_and_private_methods_are_untouched():
    with pytest.raises(ValueError):
        Endpoint().break_down({})
    assert Endpoint().answer({}, 21) == 42
    with pytest.raises(exceptions.InvalidNextToken):
        Endpoint()._helper()
    assert isinstance(Endpoint.target, messaging.Target)
