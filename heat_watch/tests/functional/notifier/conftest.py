"""Fixtures: the notifier on the in-process transport, a fake watch engine,
a webhook receiver and the engine's sender."""

import oslo_messaging as messaging
import pytest

from heat_watch.common import rpc
from heat_watch.notifier import service as notifier_service
from heat_watch.tests.functional.notifier import receiver as receivers
from heat_watch.tests.functional.notifier import support


@pytest.fixture
def conf():
    return support.make_conf()


@pytest.fixture
def engine(conf):
    engine = support.FakeEngine()
    target = messaging.Target(topic=conf.watch_engine.topic, server='fake-engine')
    server = rpc.get_server(target, [engine], conf)
    server.start()
    yield engine
    server.stop()
    server.wait()


@pytest.fixture
def notifier(conf, engine):
    service = notifier_service.NotifierService(conf)
    service.start()
    yield service
    service.stop()


@pytest.fixture
def receiver():
    receiver = receivers.Receiver()
    yield receiver
    receiver.close()


@pytest.fixture
def send(conf):
    return support.make_sender(conf)
