"""/v2: one controller module per resource."""

from heat_watch.api.controllers.v2 import alarms, capabilities, meters, query, resources, samples


class V2Controller:
    """The Ceilometer-v2-compatible watch API."""

    meters = meters.MetersController()
    samples = samples.SamplesController()
    resources = resources.ResourcesController()
    capabilities = capabilities.CapabilitiesController()
    alarms = alarms.AlarmsController()
    query = query.QueryController()
