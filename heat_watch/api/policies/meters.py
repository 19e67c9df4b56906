"""Rules of /v2 meters, samples, statistics and resources."""

from oslo_policy import policy

GET_METERS = 'heat_watch:get_meters'
GET_SAMPLES = 'heat_watch:get_samples'
CREATE_SAMPLES = 'heat_watch:create_samples'
GET_STATISTICS = 'heat_watch:get_statistics'
GET_RESOURCES = 'heat_watch:get_resources'

RULES = [
    policy.DocumentedRuleDefault(GET_METERS, 'rule:admin_or_owner', 'List meters.',
                                 [{'path': '/v2/meters', 'method': 'GET'}]),
    policy.DocumentedRuleDefault(GET_SAMPLES, 'rule:admin_or_owner', 'List samples.',
                                 [{'path': '/v2/meters/{meter_name}', 'method': 'GET'},
                                  {'path': '/v2/samples', 'method': 'GET'},
                                  {'path': '/v2/samples/{sample_id}', 'method': 'GET'}]),
    policy.DocumentedRuleDefault(CREATE_SAMPLES, 'rule:admin_or_owner', 'Post samples.',
                                 [{'path': '/v2/meters/{meter_name}', 'method': 'POST'}]),
    policy.DocumentedRuleDefault(GET_STATISTICS, 'rule:admin_or_owner',
                                 'Compute statistics of a meter.',
                                 [{'path': '/v2/meters/{meter_name}/statistics',
                                   'method': 'GET'}]),
    policy.DocumentedRuleDefault(GET_RESOURCES, 'rule:admin_or_owner', 'List resources.',
                                 [{'path': '/v2/resources', 'method': 'GET'},
                                  {'path': '/v2/resources/{resource_id}', 'method': 'GET'}]),
]


def list_rules():
    """The meters rules."""
    return RULES
