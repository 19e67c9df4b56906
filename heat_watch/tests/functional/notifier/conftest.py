"""Fixtures: the notifier on the in-process transport, a fake watch engine,
a webhook receiver and the engine's sender."""

import pytest

from heat_watch.notifier import service as notifier_service
from heat_watch.tests.functional.notifier import receiver as receivers
from heat_watch.tests.functional.notifier import support


@pytest.fixture
def conf():
    return support.make_conf()


@pytest.fixture
def engine(conf):
    with support.fake_engine(conf) as engine:
        yield engine


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
