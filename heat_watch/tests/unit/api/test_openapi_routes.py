"""The route walk of heat_watch.api.openapi follows pecan's routing: every
route it derives from an Aodh-shaped controller tree (the shape the alarms
controllers take) is answered by pecan itself, and a route it does not
derive is not."""

import pecan
import webtest
from pecan import rest
from wsme import types as wtypes

from heat_watch.api import openapi
from heat_watch.api.wsme_glue import wsexpose


class Thing(wtypes.Base):
    name = wtypes.text


class AlarmController(rest.RestController):
    _custom_actions = {'state': ['PUT', 'GET'], 'history': ['GET']}

    def __init__(self, alarm_id):
        pecan.request.context = {'alarm_id': alarm_id}  # Aodh's constructor does this
        self.alarm_id = alarm_id

    @wsexpose(Thing)
    def get(self):
        return Thing(name='get')

    @wsexpose(Thing, body=Thing)
    def put(self, data):
        return Thing(name='put')

    @wsexpose(None, status_code=204)
    def delete(self):
        return None

    @wsexpose(wtypes.text)
    def get_state(self):
        return 'ok'

    @wsexpose(wtypes.text, body=wtypes.text)
    def put_state(self, state):
        return state

    @wsexpose([Thing], [wtypes.text])
    def history(self, q=None):
        return []


class AlarmsController(rest.RestController):
    @pecan.expose()
    def _lookup(self, alarm_id, *remainder):
        return AlarmController(alarm_id), remainder

    @wsexpose(Thing, body=Thing, status_code=201)
    def post(self, data):
        return Thing(name='post')

    @wsexpose([Thing], [wtypes.text], int)
    def get_all(self, q=None, limit=None):
        return []


class HistoryQuery(rest.RestController):
    @wsexpose([Thing], body=Thing)
    def post(self, body):
        return []


class AlarmsQuery(rest.RestController):
    history = HistoryQuery()

    @wsexpose([Thing], body=Thing)
    def post(self, body):
        return []


class QueryController:
    alarms = AlarmsQuery()


class ItemsController(rest.RestController):
    @wsexpose(Thing, wtypes.text)
    def get_one(self, item_id):
        return Thing(name=item_id)


class PlainController:
    """A non-generic expose: pecan hands it every method."""

    @pecan.expose('json')
    def index(self):
        return {'method': pecan.request.method}


class V2:
    plain = PlainController()
    alarms = AlarmsController()
    query = QueryController()
    items = ItemsController()


class Root:
    v2 = V2()

    @pecan.expose(generic=True, template='json')
    def index(self):
        return {}


EXPECTED = {
    ('GET', '/'), ('GET', '/v2/alarms'), ('POST', '/v2/alarms'),
    ('GET', '/v2/alarms/{alarm_id}'), ('PUT', '/v2/alarms/{alarm_id}'),
    ('DELETE', '/v2/alarms/{alarm_id}'), ('GET', '/v2/alarms/{alarm_id}/state'),
    ('PUT', '/v2/alarms/{alarm_id}/state'), ('GET', '/v2/alarms/{alarm_id}/history'),
    ('POST', '/v2/query/alarms'), ('POST', '/v2/query/alarms/history'),
    ('GET', '/v2/items/{item_id}'), ('*', '/v2/plain'),
}


def test_the_walk_derives_the_aodh_shaped_routes():
    assert openapi.served_routes(Root()) == EXPECTED


def test_pecan_answers_every_derived_route_and_not_others():
    app = webtest.TestApp(pecan.make_app(Root(), force_canonical=False))
    for method, path in sorted(openapi.served_routes(Root())):
        method = 'POST' if method == openapi.ANY_METHOD else method
        url = path.replace('{alarm_id}', 'a1').replace('{item_id}', 'i1')
        body = '"ok"' if url.endswith('/state') else '{"name": "x"}'
        answer = app.request(url, method=method, expect_errors=True,
                             body=body.encode() if method in ('PUT', 'POST') else b'',
                             headers={'Content-Type': 'application/json'})
        assert answer.status_int < 400, (method, url, answer.status, answer.body[:200])
    # Not derived, not served: no collection GET of items, no POST on one alarm.
    assert app.get('/v2/items', expect_errors=True).status_int in (404, 405)
    assert app.post('/v2/alarms/a1', '{}', expect_errors=True,
                    headers={'Content-Type': 'application/json'}).status_int in (404, 405)


def test_the_shipped_description_parses_and_names_operations():
    routes = openapi.spec_routes()
    assert ('POST', '/v2/meters/{meter_name}') in routes
    assert openapi.normalised({('GET', '/v2/x/{a}/y/{b}')}) == {('GET', '/v2/x/{}/y/{}')}


def test_differences_compare_both_ways_and_any_method_covers_a_path():
    served = {('GET', '/v2/a/{x}'), ('*', '/v2/b'), ('GET', '/v2/c')}
    described = {('GET', '/v2/a/{a_id}'), ('POST', '/v2/b'), ('PUT', '/v2/b'),
                 ('GET', '/v2/d')}
    undescribed, unserved = openapi.differences(served, described)
    assert undescribed == {('GET', '/v2/c')}
    assert unserved == {('GET', '/v2/d')}
    # A path served for any method still needs a description.
    assert openapi.differences({('*', '/v2/e')}, set()) == ({('*', '/v2/e')}, set())
