"""The controllers through webtest: the whole WSGI application (noauth) over
a real watch engine of an in-process deployment."""

import pytest
import webtest

from heat_watch.api import app as api_app
from heat_watch.tests import services
from heat_watch.watch import rpcapi

A = {'X-Project-Id': 'project-a', 'X-User-Id': 'user-a'}
SAMPLE = {'counter_type': 'gauge', 'counter_unit': 's', 'counter_volume': 2.0,
          'resource_id': 'vm-1', 'timestamp': '2026-01-01T00:00:30'}


@pytest.fixture(scope='module')
def deployment(tmp_path_factory):
    with services.deployment(str(tmp_path_factory.mktemp('api-unit'))) as running:
        yield running


@pytest.fixture(scope='module')
def app(deployment):
    return webtest.TestApp(api_app.setup_app(deployment.conf,
                                             rpcapi.WatchEngineClient(deployment.conf)))


def test_versions_document_links_to_v2(app):
    body = app.get('/').json
    assert body['versions']['values'][0]['links'][0]['href'] == 'http://localhost/v2'


def test_post_then_get_and_statistics_of_one_meter(app):
    created = app.post_json('/v2/meters/boot_time', [SAMPLE], headers=A, status=201).json
    assert created[0]['timestamp'] == '2026-01-01T00:00:30'
    assert created[0]['user_id'] == 'user-a'
    samples = app.get('/v2/meters/boot_time', headers=A).json
    assert [(s['counter_volume'], s['counter_unit']) for s in samples] == [(2.0, 's')]
    stats = app.get('/v2/meters/boot_time/statistics', headers=A,
                    params={'period': '3600', 'q.field': 'timestamp', 'q.op': 'ge',
                            'q.value': '2026-01-01T00:00:00'}).json
    assert [(s['period_start'], s['period_end'], s['sum']) for s in stats] == [
        ('2026-01-01T00:00:00', '2026-01-01T01:00:00', 2.0)]


def test_time_zones_in_filters_are_honoured(app):
    app.post_json('/v2/meters/tz_meter', [SAMPLE], headers=A, status=201)
    # 01:00:40+01:00 is 00:00:40 UTC, after the sample; 01:00:20+01:00 before it.
    after = app.get('/v2/meters/tz_meter', headers=A, params={
        'q.field': 'timestamp', 'q.op': 'gt', 'q.value': '2026-01-01T01:00:40+01:00'}).json
    assert after == []
    before = app.get('/v2/meters/tz_meter', headers=A, params={
        'q.field': 'timestamp', 'q.op': 'gt', 'q.value': '2026-01-01T01:00:20+01:00'}).json
    assert len(before) == 1


def test_a_watch_engine_that_does_not_answer_is_a_503(deployment):
    conf = services.make_conf(deployment.conf.state_path, **{
        'watch_engine.topic': 'nobody-listens', 'watch_engine.rpc_timeout': 1})
    conf.set_override('transport_url', deployment.conf.transport_url)
    silent = webtest.TestApp(api_app.setup_app(conf, rpcapi.WatchEngineClient(conf)))
    response = silent.get('/v2/meters', headers=A, status=503)
    assert response.json['error_message']['faultcode'] == 'Server'
    assert 'did not answer' in response.json['error_message']['faultstring']


def test_xml_is_not_offered_json_is_the_answer(app):
    response = app.get('/v2/capabilities', headers=dict(A, Accept='application/json'))
    assert response.content_type == 'application/json'
