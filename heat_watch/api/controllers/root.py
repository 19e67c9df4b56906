"""/: the versions document python-ceilometerclient probes (v2 first, as
it expects), listing the Heat-compatible v1 too."""

import pecan

from heat_watch.api.controllers.v1 import root as v1
from heat_watch.api.controllers.v2 import root as v2

UPDATED = '2013-02-13T00:00:00Z'
MEDIA_TYPE = 'application/vnd.openstack.telemetry-v2+json'
V1_UPDATED = '2012-12-12T00:00:00Z'
V1_MEDIA_TYPE = 'application/vnd.openstack.orchestration-v1+json'


def versions_document(host_url: str) -> dict:
    """The versions this API serves."""
    return {'versions': {'values': [{
        'id': 'v2', 'status': 'stable', 'updated': UPDATED,
        'links': [{'rel': 'self', 'href': '%s/v2' % host_url}],
        'media-types': [{'base': 'application/json', 'type': MEDIA_TYPE}]}, {
        'id': 'v1.0', 'status': 'CURRENT', 'updated': V1_UPDATED,
        'links': [{'rel': 'self', 'href': '%s/v1/' % host_url}],
        'media-types': [{'base': 'application/json', 'type': V1_MEDIA_TYPE}]}]}}


class RootController:
    """The API's root."""

    v1 = v1.V1Controller()
    v2 = v2.V2Controller()

    @pecan.expose(generic=True, template='json')
    def index(self):
        """GET /: the versions document."""
        return versions_document(pecan.request.host_url)
