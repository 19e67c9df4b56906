"""The watch engine's RPC contract is versioned per method: each client method
asks for the lowest version it needs, and an engine at 1.x serves 1.y <= x."""

import inspect
import re
import uuid

import oslo_messaging as messaging
import pytest
from oslo_config import cfg

from heat_watch.common import context, rpc
from heat_watch.watch import model, rpcapi


class Engine:
    """An engine endpoint at some version, answering two methods."""

    def __init__(self, version: str):
        self.target = messaging.Target(version=version)

    def describe_alarms(self, ctxt, args):
        return {'MetricAlarms': [], 'CompositeAlarms': [], 'asked': args}

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
        rpc.set_defaults(conf)
        conf.register_opts([cfg.StrOpt('host', default='test')])
        rpcapi.register_opts(conf)
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


def test_an_engine_at_1_3_serves_a_method_asked_at_1_1_and_one_asked_at_1_3(serve):
    client = serve('1.3')
    assert client.describe_alarms(CTXT, {'MaxRecords': 5})['asked'] == {'MaxRecords': 5}
    alarm = client.get_alarm(CTXT, 'a1')
    assert isinstance(alarm, model.Alarm) and alarm.definition.id == 'a1'
    assert alarm.definition.project_id == 'p1' and alarm.state.state == 'OK'


def test_an_older_engine_serves_the_old_methods_and_refuses_the_new(serve):
    client = serve('1.2')
    assert client.describe_alarms(CTXT, {})['MetricAlarms'] == []
    with pytest.raises(messaging.UnsupportedVersion):
        client.get_alarm(CTXT, 'a1')


def test_the_engine_version_is_the_highest_a_client_method_asks_for():
    source = inspect.getsource(rpcapi.WatchEngineClient)
    asked = re.findall(r"_call\(\s*ctxt, '\w+', '(1\.\d+)'", source)
    asked += re.findall(r"_for\('(1\.\d+)'\)", source)
    assert len(asked) == source.count('def ') - 3  # less __init__, _call, _for
    assert max(asked, key=lambda v: int(v.split('.')[1])) == rpcapi.RPC_API_VERSION
