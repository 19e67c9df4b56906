"""examples/autoscaling-cpu-hot.yaml, written in Heat's own spelling
(OS::Heat::AutoScalingGroup, OS::Heat::ScalingPolicy, OS::Aodh::Alarm).

Those types come with the OS::Heat autoscaling work done beside this one;
until they are registered, this checks everything the template library can
check without them: the HOT version, parameters, intrinsic functions,
references and dependency order; and that the types it uses are exactly
these (the server inside the group is validated against OS::Nova::Server's
schema). Once they are registered the same test validates them too, since
only unregistered types among PENDING are tolerated."""

import os

from heat_watch.orchestration import resources, template
from heat_watch.orchestration.template import loader

EXAMPLE = os.path.join(os.path.dirname(__file__), '..', '..', '..', '..', 'examples',
                       'autoscaling-cpu-hot.yaml')
PENDING = {'OS::Heat::AutoScalingGroup', 'OS::Heat::ScalingPolicy', 'OS::Aodh::Alarm'}


def _load() -> dict:
    # Heat's YAML reading: the version stays text, not a date.
    with open(EXAMPLE) as source:
        return loader.load_mapping(source.read())


def test_the_hot_example_validates_with_what_is_registered():
    raw = _load()
    parsed = template.parse(raw, {})
    bound = parsed.bind({'cpu_high': 70}, template.parse_environment(None),
                        template.StackIdentity('validate', 'None', 'None', 'RegionOne'),
                        require_values=False)
    tolerated = {t for t in PENDING if not resources.is_known(t)}
    bound.validate(lambda name: resources.is_known(name) or name in tolerated)
    used = {body['type'] for body in raw['resources'].values()}
    assert used == PENDING
    order = [name for batch in bound.creation_order() for name in batch]
    # Group, then its policies, then the alarms that call them.
    assert order.index('group') < order.index('scale_up') < order.index('cpu_alarm_high')
    assert order.index('scale_down') < order.index('cpu_alarm_low')


def test_the_servers_of_the_hot_example_fit_the_server_schema():
    member = _load()['resources']['group']['properties']['resource']
    assert member['type'] == 'OS::Nova::Server'
    schema = resources.get('OS::Nova::Server').properties_schema
    assert set(member['properties']) <= set(schema)
    assert member['properties']['user_data_format'] in \
        schema['user_data_format'].allowed_values
    script = member['properties']['user_data']['str_replace']['template']
    assert script.startswith('#!/bin/sh\n') and 'heat-watch-push-stats --cpu-util' in script
