"""/v2: one controller module per resource; the alarms come next to these."""

from heat_watch.api.controllers.v2 import capabilities, meters, resources, samples


class V2Controller:
    """The Ceilometer-v2-compatible watch API."""

    meters = meters.MetersController()
    samples = samples.SamplesController()
    resources = resources.ResourcesController()
    capabilities = capabilities.CapabilitiesController()
