"""/v2/capabilities: what this API supports (python-ceilometerclient and
aodhclient read it)."""

from pecan import rest
from wsme import types as wtypes

from heat_watch.api.wsme_glue import wsexpose

_API = {
    'meters:query:simple': True, 'meters:query:metadata': True,
    'meters:query:complex': False,
    'resources:query:simple': True, 'resources:query:metadata': True,
    'resources:query:complex': False,
    'samples:query:simple': True, 'samples:query:metadata': True,
    'samples:query:complex': False,
    'statistics:groupby': True, 'statistics:query:simple': True,
    'statistics:query:metadata': True, 'statistics:query:complex': False,
    'statistics:aggregation:standard': True,
    'statistics:aggregation:selectable:max': True,
    'statistics:aggregation:selectable:min': True,
    'statistics:aggregation:selectable:sum': True,
    'statistics:aggregation:selectable:avg': True,
    'statistics:aggregation:selectable:count': True,
    'statistics:aggregation:selectable:stddev': False,
    'statistics:aggregation:selectable:cardinality': False,
    'events:query:simple': False,
    'alarms:query:simple': True, 'alarms:query:complex': True,
    'alarms:history:query:simple': True, 'alarms:history:query:complex': True,
}
_STORAGE = {'storage:production_ready': True}
_ALARM_STORAGE = {'storage:production_ready': True}


class Capabilities(wtypes.Base):
    """Flags of the supported features."""

    api = {wtypes.text: bool}
    storage = {wtypes.text: bool}
    event_storage = {wtypes.text: bool}
    alarm_storage = {wtypes.text: bool}


class CapabilitiesController(rest.RestController):
    """/v2/capabilities."""

    @wsexpose(Capabilities)
    def get(self):
        """The capabilities document (no project data: any caller may read it)."""
        return Capabilities(api=dict(_API), storage=dict(_STORAGE), event_storage={},
                            alarm_storage=dict(_ALARM_STORAGE))
