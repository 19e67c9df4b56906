"""/: the versions document python-ceilometerclient probes."""

import pecan

from heat_watch.api.controllers.v2 import root as v2

UPDATED = '2013-02-13T00:00:00Z'
MEDIA_TYPE = 'application/vnd.openstack.telemetry-v2+json'


def versions_document(host_url: str) -> dict:
    """The versions this API serves."""
    return {'versions': {'values': [{
        'id': 'v2', 'status': 'stable', 'updated': UPDATED,
        'links': [{'rel': 'self', 'href': '%s/v2' % host_url}],
        'media-types': [{'base': 'application/json', 'type': MEDIA_TYPE}]}]}}


class RootController:
    """The API's root."""

    v2 = v2.V2Controller()

    @pecan.expose(generic=True, template='json')
    def index(self):
        """GET /: the versions document."""
        return versions_document(pecan.request.host_url)
