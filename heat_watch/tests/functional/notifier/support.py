"""Helpers for notifier tests: a fake watch engine that records the results
the notifier casts to it, configurations, and the engine's side of the hand-off."""

import contextlib
import socket
import threading

import oslo_messaging as messaging
from oslo_config import cfg

from heat_watch import opts
from heat_watch.common import context as hw_context
from heat_watch.common import rpc
from heat_watch.notifier import client
from heat_watch.watch import rpcapi


class FakeEngine:
    """RPC endpoint standing in for the watch engine's record_action_result."""

    target = messaging.Target(version=rpcapi.RPC_API_VERSION)

    def __init__(self):
        self._cond = threading.Condition()
        self.results: list[tuple[str, dict]] = []

    def record_action_result(self, ctxt, alarm_id, result):
        with self._cond:
            self.results.append((alarm_id, result))
            self._cond.notify_all()

    def wait_for(self, count: int, timeout: float = 10.0) -> list[dict]:
        """The first ``count`` results, in attempt order, once they arrived."""
        with self._cond:
            assert self._cond.wait_for(lambda: len(self.results) >= count, timeout), \
                'only %d of %d results arrived: %s' % (len(self.results), count, self.results)
            return sorted((r for _, r in self.results), key=lambda r: r['attempt'])


@contextlib.contextmanager
def fake_engine(conf: cfg.ConfigOpts):
    """A FakeEngine served on the watch engine's topic while in the block."""
    engine = FakeEngine()
    target = messaging.Target(topic=conf.watch_engine.topic, server='fake-engine')
    server = rpc.get_server(target, [engine], conf)
    server.start()
    try:
        yield engine
    finally:
        server.stop()
        server.wait()


def make_conf(**notifier_overrides) -> cfg.ConfigOpts:
    """A fresh configuration on the in-process transport with quick retries."""
    conf = cfg.ConfigOpts()
    opts.register_all(conf)
    conf(args=[], default_config_files=[])
    conf.set_override('transport_url', rpc.IN_PROCESS_URL)
    conf.set_override('json_round_trip', True, group='inprocess_transport')
    # allowed_networks: the receivers listen on loopback, which the network
    # policy denies by default.
    overrides = {'max_attempts': 3, 'retry_initial_delay': 0.01, 'retry_max_delay': 0.05,
                 'retry_jitter': False, 'rest_timeout': 5.0,
                 'allowed_networks': ['127.0.0.1/32']}
    overrides.update(notifier_overrides)
    for name, value in overrides.items():
        conf.set_override(name, value, group='notifier')
    return conf


def make_sender(conf: cfg.ConfigOpts):
    """send(url, **payload fields): publish one alarm action; returns its payload."""
    sender = client.AlarmActionSender(conf)
    ctxt = hw_context.RequestContext(project_id='project-1', request_id='req-functional-1')

    def send(url: str, **fields) -> dict:
        payload = client.make_payload(
            action=url, alarm_id='alarm-1', alarm_name='cpu-high', project_id='project-1',
            previous='INSUFFICIENT_DATA', current='ALARM', severity='critical',
            reason='Threshold Crossed: 3 datapoints were greater than the threshold (50.0).',
            reason_data={'type': 'threshold', 'recentDatapoints': [91.0, 92.5, 95.0]})
        payload.update(fields)
        sender.send(ctxt, payload)
        return payload

    return send


def closed_port() -> int:
    """A loopback port nothing listens on."""
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]
