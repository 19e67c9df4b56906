"""RPC endpoints: the caller's own errors are expected, not engine failures."""

import oslo_messaging as messaging
import pytest

from heat_watch import opts
from heat_watch.common import context as hw_context
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


def _closed_port() -> int:
    import socket
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def test_a_call_to_an_unreachable_broker_fails_within_its_timeout():
    """oslo.messaging alone retries the connection forever before its
    timeout even starts; the bounded client answers within the timeout."""
    import time

    from oslo_config import cfg

    conf = cfg.ConfigOpts()
    opts.register_all(conf)
    conf([])
    conf.set_override('transport_url', 'rabbit://guest:guest@127.0.0.1:%d/' % _closed_port())
    client = rpc.get_client(messaging.Target(topic='nobody', version='1.0'), conf, timeout=2)
    assert isinstance(client, rpc.BoundedCallClient)
    # The second finds the first still reconnecting; a prepared client (a
    # method's version) is bounded the same way.
    for caller in (client, client, client.prepare(version='1.0')):
        started = time.monotonic()
        with pytest.raises((messaging.MessagingTimeout, messaging.MessageDeliveryFailure)):
            caller.call(hw_context.RequestContext(), 'anything')
        assert time.monotonic() - started < 2.5
    # No rpc.cleanup(conf): oslo.messaging opens the reply queue's connection
    # with unbounded retries, and its cleanup waits for that (a daemon
    # thread of the call pool, which dies with the process).


def test_in_process_calls_are_not_handed_to_another_thread():
    from oslo_config import cfg

    conf = cfg.ConfigOpts()
    opts.register_all(conf)
    conf([])
    conf.set_override('transport_url', rpc.IN_PROCESS_URL)
    try:
        client = rpc.get_client(messaging.Target(topic='t', version='1.0'), conf, timeout=2)
        assert not isinstance(client, rpc.BoundedCallClient)
    finally:
        rpc.cleanup(conf)


def test_a_deprecated_rabbit_option_set_in_the_configuration_does_not_break_the_driver(
        tmp_path):
    # oslo.messaging's list_opts hands out copies; reading a deprecated option
    # marks the copy as logged, and the rabbit driver registering its own
    # (unmarked) option then raised DuplicateOptError: no transport at all.
    from oslo_config import cfg
    conf_file = tmp_path / 'heat_watch.conf'
    conf_file.write_text('[oslo_messaging_rabbit]\ndirect_mandatory_flag = false\n')
    conf = cfg.ConfigOpts()
    opts.register_all(conf)
    conf(['--config-file', str(conf_file)], project='heat_watch')
    assert conf.oslo_messaging_rabbit.direct_mandatory_flag is False
    transport = messaging.get_rpc_transport(conf, url='rabbit://guest:guest@127.0.0.1:1/')
    try:
        assert conf.oslo_messaging_rabbit.direct_mandatory_flag is False
    finally:
        transport.cleanup()
