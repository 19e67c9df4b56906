"""The watch engine's RPC contract is versioned per method: each client method
asks for the lowest version it needs, and an engine at 3.x serves 3.y <= x."""

import inspect
import re
import uuid

import oslo_messaging as messaging
import pytest
from oslo_config import cfg

from heat_watch import opts
from heat_watch.common import context, rpc
from heat_watch.watch import model, rpcapi


class Engine:
    """An engine endpoint at some version, answering two methods."""

    def __init__(self, version: str):
        self.target = messaging.Target(version=version)

    def list_metrics(self, ctxt, namespace, metric_name, dimensions, recently_active, marker):
        metric = model.ListedMetric(namespace, 'm', [['Host', 'h1']])
        return model.MetricListing([metric], marker='after-' + marker).to_wire()

    def get_alarm(self, ctxt, alarm_id):
        definition = model.AlarmDefinition(project_id=ctxt.project_id, name='n', id=alarm_id,
                                           rule=model.CompositeRule('ALARM("x")'))
        state = model.AlarmState('OK', 1, 5, 5, 'fine')
        return model.Alarm(definition, state).to_wire()


@pytest.fixture
def serve():
    servers = []

    def start(version: str) -> rpcapi.WatchEngineClient:
        conf = cfg.ConfigOpts()
        opts.register_all(conf)
        conf([])
        conf.set_override('transport_url', rpc.IN_PROCESS_URL)
        conf.set_override('topic', 'engine-%s' % uuid.uuid4().hex, group='watch_engine')
        conf.set_override('rpc_timeout', 5, group='watch_engine')
        server = rpc.get_server(messaging.Target(topic=conf.watch_engine.topic, server='s'),
                                [Engine(version)], conf)
        server.start()
        servers.append((server, conf))
        return rpcapi.WatchEngineClient(conf)

    yield start
    for server, conf in servers:
        server.stop()
        server.wait()
        rpc.cleanup(conf)


CTXT = context.RequestContext(project_id='p1')


def test_an_engine_at_3_1_serves_the_methods_a_client_asks_at_3_0(serve):
    client = serve('3.1')
    page = client.list_metrics(CTXT, 'ns', marker='m1')
    assert page == model.MetricListing([model.ListedMetric('ns', 'm', [['Host', 'h1']])],
                                       'after-m1')
    alarm = client.get_alarm(CTXT, 'a1')
    assert isinstance(alarm, model.Alarm) and alarm.definition.id == 'a1'
    assert alarm.definition.project_id == 'p1' and alarm.state.state == 'OK'


def test_an_engine_of_the_previous_major_version_refuses_every_call(serve):
    client = serve('2.2')
    for call in (lambda: client.get_alarm(CTXT, 'a1'), lambda: client.list_metrics(CTXT)):
        with pytest.raises(messaging.UnsupportedVersion):
            call()


def test_the_engine_version_is_the_highest_a_client_method_asks_for():
    source = inspect.getsource(rpcapi.WatchEngineClient)
    asked = re.findall(r"_call\(\s*ctxt, '\w+', '(\d\.\d+)'", source)
    asked += re.findall(r"_for\('(\d\.\d+)'\)", source)
    assert len(asked) == source.count('def ') - 3  # less __init__, _call, _for
    assert max(asked, key=lambda v: tuple(map(int, v.split('.')))) == rpcapi.RPC_API_VERSION
