"""CloudFormation Auto Scaling: AWS::AutoScaling::LaunchConfiguration,
AWS::AutoScaling::AutoScalingGroup and AWS::AutoScaling::ScalingPolicy.

A group boots its members through the compute driver, each with the launch
configuration's image, type, user data and metadata, and with the group's
name in its metadata (``AutoScalingGroupName``: instances report it as a
metric dimension, so one alarm watches the whole group). Its members and the
time it last scaled are its stored data. A policy owns a credential scoped to
signalling its stack; its reference (Ref) and ``AlarmUrl`` are a URL of the
REST API pre-signed with that credential, which an alarm's action POSTs to.
"""

from __future__ import annotations

import time
from typing import Any

from heat_watch.common import exceptions
from heat_watch.orchestration import clients, compute, resource, scaling
from heat_watch.orchestration import properties as props
from heat_watch.orchestration.resources import signed
from heat_watch.orchestration.storage.util import now_ms

GROUP_NAME_KEY = 'AutoScalingGroupName'
LOAD_BALANCER_TYPE = 'AWS::ElasticLoadBalancing::LoadBalancer'
# A policy remembers this many alarm action ids to take each one once.
RECENT_ACTIONS_KEPT = 32


def _tags(values: list) -> dict:
    return {t.get('Key'): t.get('Value') for t in values or [] if isinstance(t, dict)}


class LaunchConfiguration(resource.Resource):
    """AWS::AutoScaling::LaunchConfiguration: what a group's members boot."""

    description = 'How the members of an Auto Scaling group are booted.'
    properties_schema = {
        'ImageId': props.Property(props.STRING, 'Image name or id.', required=True),
        'InstanceType': props.Property(props.STRING, 'Flavor name.', required=True),
        'KeyName': props.Property(props.STRING, 'Key pair name.'),
        'UserData': props.Property(props.STRING, 'User data.', default=''),
        'SecurityGroups': props.Property(props.LIST, 'Security groups.', default=[]),
        'BlockDeviceMappings': props.Property(props.LIST, 'Block devices (ignored).',
                                              default=[]),
        'InstanceId': props.Property(props.STRING, 'Copy another instance (unsupported).'),
    }

    def handle_create(self) -> None:
        if self.properties.get('InstanceId'):
            raise exceptions.ResourceFailure(
                reason='InstanceId is not supported; give ImageId and InstanceType')
        self.physical_id = self.stack.physical_name(self.name)

    def member_spec(self, name: str, metadata: dict) -> compute.ServerSpec:
        """The server a member of a group with ``metadata`` boots."""
        p = self.properties
        stored = self.stack.stored.get(self.name)
        own = stored.rsrc_metadata if stored is not None and stored.rsrc_metadata else {}
        return compute.ServerSpec(name, p['ImageId'], p['InstanceType'],
                                  p.get('UserData') or None,
                                  dict(metadata, resource_metadata=own), p.get('KeyName'))


class Scalable:
    """What a group that scaling policies resize offers: adjust() over its
    bounds(), size(), resize() and its cooldown."""

    # The group class provides data, bounds(), size(), resize(capacity)
    # and group_cooldown().
    data: dict

    def adjust(self, adjustment_type: str, adjustment: float, cooldown_s: float | None,
               min_adjustment_magnitude: int | None = None) -> tuple[int, int] | None:
        """Apply an adjustment unless the group cools down; returns (before,
        after), or None when the cooldown ignored it. The caller holds the
        stack's lock, so adjustments never overlap."""
        now = now_ms()
        cooldown = self.group_cooldown() if cooldown_s is None else cooldown_s
        if scaling.in_cooldown(self.data.get('last_scaled_ms'), cooldown, now):
            return None
        before = self.size()
        low, high = self.bounds()
        after = scaling.new_capacity(before, adjustment_type, adjustment, low, high,
                                     min_adjustment_magnitude)
        if after != before:
            self.resize(after)
            self.data['last_scaled_ms'] = now
        return before, after


class AutoScalingGroup(Scalable, resource.Resource):
    """AWS::AutoScaling::AutoScalingGroup: a group of servers kept within
    [MinSize, MaxSize], resized by its scaling policies."""

    description = 'A group of identical servers that scaling policies resize.'
    properties_schema = {
        'LaunchConfigurationName': props.Property(props.STRING, 'The launch configuration.',
                                                  required=True, update_allowed=True),
        'MinSize': props.Property(props.INTEGER, 'Fewest members.', required=True,
                                  update_allowed=True, min_value=0),
        'MaxSize': props.Property(props.INTEGER, 'Most members.', required=True,
                                  update_allowed=True, min_value=0),
        'DesiredCapacity': props.Property(props.INTEGER, 'Members to start with.',
                                          update_allowed=True, min_value=0),
        'Cooldown': props.Property(props.INTEGER, 'Seconds after a scaling during which '
                                   'policies without a cooldown of their own do nothing.',
                                   update_allowed=True, min_value=0),
        'Tags': props.Property(props.LIST, 'Tags (Key, Value) every member carries.',
                               default=[]),
        'AvailabilityZones': props.Property(props.LIST, 'Zones (accepted).', default=[]),
        'VPCZoneIdentifier': props.Property(props.LIST, 'Subnets (accepted).', default=[]),
        'LoadBalancerNames': props.Property(props.LIST, 'Load balancers.', default=[]),
    }
    attributes_schema = {'InstanceList': 'Comma-separated addresses of the members.',
                         'CurrentSize': 'Number of members.'}

    # -- sizes --

    @property
    def members(self) -> list[str]:
        return list(self.data.get('members') or [])

    def bounds(self) -> tuple[int, int]:
        return self.properties['MinSize'], self.properties['MaxSize']

    def size(self) -> int:
        return len(self.members)

    def group_cooldown(self) -> float | None:
        return self.properties.get('Cooldown')

    def _check_bounds(self) -> None:
        low, high = self.bounds()
        if low > high:
            raise exceptions.ResourceFailure(
                reason='MinSize (%d) is larger than MaxSize (%d)' % (low, high))

    def check_literal_properties(self, where: str, values: dict) -> None:
        """InvalidTemplate when LoadBalancerNames names no load balancer of
        this stack (only this stack's HAProxy ones can take members)."""
        for wanted in values.get('LoadBalancerNames') or []:
            definition = self.stack.definitions.get(wanted)
            if definition is None or definition.type != LOAD_BALANCER_TYPE:
                raise exceptions.InvalidTemplate(
                    '%s.LoadBalancerNames: %s is not an %s of this stack'
                    % (where, wanted, LOAD_BALANCER_TYPE))

    def _load_balancers(self) -> list[Any]:
        wanted = set(self.properties.get('LoadBalancerNames') or [])
        return [r for r in self.stack.resources.values() if hasattr(r, 'set_group_members')
                and wanted & {r.name, r.physical_id}]

    def _update_load_balancers(self) -> None:
        for balancer in self._load_balancers():
            balancer.set_group_members(self.members)

    def _initial_capacity(self) -> int:
        low, high = self.bounds()
        desired = self.properties.get('DesiredCapacity')
        return max(low, min(high, low if desired is None else desired))

    # -- members --

    def _launch_configuration(self) -> LaunchConfiguration:
        wanted = self.properties['LaunchConfigurationName']
        for rsrc in self.stack.resources.values():
            if isinstance(rsrc, LaunchConfiguration) and wanted in (rsrc.name,
                                                                    rsrc.physical_id):
                return rsrc
        raise exceptions.ResourceFailure(
            reason='LaunchConfigurationName %s names no launch configuration of this stack'
            % wanted)

    def _member_metadata(self) -> dict:
        return dict(_tags(self.properties.get('Tags')), **{
            GROUP_NAME_KEY: self.physical_id, 'heat_stack_id': self.stack.id,
            'heat_resource_name': self.name})

    def _driver(self) -> compute.ComputeDriver:
        return self.stack.runtime.compute

    def _grow(self, count: int) -> list[str]:
        config, metadata = self._launch_configuration(), self._member_metadata()
        created = []
        for _ in range(count):
            name = self.stack.physical_name(self.name)
            created.append(self._driver().create_server(config.member_spec(name, metadata)))
            self.data['members'] = self.members + [created[-1]]
        return created

    def _shrink(self, count: int) -> list[str]:
        # The newest members go first: the oldest have proven themselves.
        removed = self.members[len(self.members) - count:]
        for server_id in reversed(removed):
            self._driver().delete_server(server_id)
            self.data['members'] = [m for m in self.members if m != server_id]
        return removed

    def _all_active(self, server_ids: list[str]) -> bool:
        for server_id in server_ids:
            server = self._driver().get_server(server_id)
            if server is None or server.status == compute.ERROR:
                raise exceptions.ResourceFailure(
                    reason='Member %s failed: %s' % (server_id, server.fault if server
                                                     else 'it disappeared'))
            if server.status not in (compute.ACTIVE, compute.SHUTOFF):
                return False
        return True

    def _all_gone(self, server_ids: list[str]) -> bool:
        return all(self._driver().get_server(s) is None for s in server_ids)

    def _wait(self, done, server_ids: list[str]) -> None:
        delay = 0.005
        while not done(server_ids):
            if time.monotonic() > self.stack.deadline:
                raise exceptions.ResourceFailure(reason='Resizing the group timed out')
            time.sleep(delay)
            delay = min(delay * 2, self.stack.runtime.poll_interval)

    def resize(self, capacity: int) -> None:
        """Grow or shrink to ``capacity`` members and wait until they are up
        (or gone)."""
        current = len(self.members)
        if capacity > current:
            self._wait(self._all_active, self._grow(capacity - current))
        elif capacity < current:
            self._wait(self._all_gone, self._shrink(current - capacity))
        if capacity != current:
            self._update_load_balancers()

    # -- actions --

    def handle_create(self) -> list[str]:
        self._check_bounds()
        self.physical_id = self.stack.physical_name(self.name)
        self.data['members'] = []
        return self._grow(self._initial_capacity())

    def check_create_complete(self, created: list[str]) -> bool:
        if not self._all_active(created):
            return False
        self._update_load_balancers()
        return True

    def handle_update(self, new_properties: dict, changed: set[str]) -> None:
        self.properties = new_properties
        self._check_bounds()
        low, high = self.bounds()
        wanted = len(self.members)
        if 'DesiredCapacity' in changed and new_properties.get('DesiredCapacity') is not None:
            wanted = new_properties['DesiredCapacity']
        self.resize(max(low, min(high, wanted)))
        batch = self.rolling_batch_size()
        if 'LaunchConfigurationName' in changed and batch is not None:
            self.rolling_replace(batch)

    def rolling_batch_size(self) -> int | None:
        """MaxBatchSize of the UpdatePolicy's AutoScalingRollingUpdate; None
        without one (AWS then leaves the running members on their old
        configuration; new ones use the new). MinInstancesInService always
        holds: new members are up before old ones go."""
        definition = self.stack.definitions.get(self.name)
        policy = definition.resolved_update_policy(self.stack) if definition else None
        rolling = (policy or {}).get('AutoScalingRollingUpdate') \
            if isinstance(policy, dict) else None
        if not isinstance(rolling, dict):
            return None
        try:
            return max(1, int(rolling.get('MaxBatchSize', 1)))
        except (TypeError, ValueError):
            raise exceptions.ResourceFailure(
                reason='AutoScalingRollingUpdate: MaxBatchSize is an integer')

    def rolling_replace(self, batch: int) -> None:
        """Replace every member with one of the new launch configuration, at
        most ``batch`` at a time; the new members are up before the old go,
        so the group never has fewer members in service than before."""
        old = self.members
        while old:
            step = old[:batch]
            self._wait(self._all_active, self._grow(len(step)))
            for server_id in step:
                self._driver().delete_server(server_id)
                self.data['members'] = [m for m in self.members if m != server_id]
            self._wait(self._all_gone, step)
            old = old[len(step):]
        self._update_load_balancers()

    def handle_delete(self) -> list[str]:
        members = self.members
        for server_id in members:
            self._driver().delete_server(server_id)
        self.data['members'] = []
        self._update_load_balancers()
        return members

    def check_delete_complete(self, members: list[str]) -> bool:
        return self._all_gone(members or [])

    def resolve_attribute(self, name: str) -> Any:
        if name == 'CurrentSize':
            return len(self.members)
        addresses = []
        for server_id in self.members:
            server = self._driver().get_server(server_id)
            if server is not None and server.first_address:
                addresses.append(server.first_address)
        return ','.join(addresses)


class ScalingPolicy(signed.SignedResource):
    """AWS::AutoScaling::ScalingPolicy: adjusts a group when signalled."""

    description = 'Resizes an Auto Scaling group when its pre-signed URL is POSTed to.'
    properties_schema = {
        'AutoScalingGroupName': props.Property(props.STRING, 'The group it resizes.',
                                               required=True),
        'ScalingAdjustment': props.Property(props.NUMBER, 'How much to adjust by.',
                                            required=True, update_allowed=True),
        'AdjustmentType': props.Property(props.STRING, 'How the adjustment counts.',
                                         required=True, update_allowed=True,
                                         allowed_values=scaling.ADJUSTMENT_TYPES),
        'Cooldown': props.Property(props.INTEGER, 'Seconds after a scaling during which '
                                   'signals are ignored (default: the group\'s).',
                                   update_allowed=True, min_value=0),
        'MinAdjustmentMagnitude': props.Property(props.INTEGER, 'Smallest change a '
                                                 'percentage adjustment makes.',
                                                 update_allowed=True, min_value=0),
    }
    attributes_schema = {'AlarmUrl': 'The pre-signed URL that signals this policy.'}
    # The template's words for what adjust() takes.
    group_property = 'AutoScalingGroupName'

    def policy(self) -> tuple[str, float, float | None, int | None]:
        """(adjustment type, adjustment, cooldown, minimum magnitude)."""
        p = self.properties
        return (p['AdjustmentType'], p['ScalingAdjustment'], p.get('Cooldown'),
                p.get('MinAdjustmentMagnitude'))

    def get_reference_id(self) -> str:
        # Heat's AWS policy: Ref is the URL an alarm's AlarmActions take.
        return self.signal_url() or self.name

    def resolve_attribute(self, name: str) -> Any:
        return self.signal_url()

    def _group(self) -> Any:
        wanted = self.properties[self.group_property]
        for rsrc in self.stack.resources.values():
            if hasattr(rsrc, 'adjust') and wanted in (rsrc.name, rsrc.physical_id):
                return rsrc
        raise exceptions.ResourceFailure(
            reason='%s %s names no group of this stack' % (self.group_property, wanted))

    def handle_signal(self, details: Any) -> tuple[str, list[resource.Resource]]:
        """Adjust the group; returns the reason (for the event) and the
        resources whose data changed."""
        alarm = details.get('alarm_name') if isinstance(details, dict) else None
        cause = ' (alarm %s)' % alarm if alarm else ''
        action_id = details.get('action_id') if isinstance(details, dict) else None
        if self._already_handled(action_id):
            # The watch engine's outbox may send one action twice (a crash
            # between delivery and its record); one alarm run is one step.
            return 'Signal ignored: alarm action %s was already handled%s' % (
                action_id, cause), []
        group = self._group()
        result = group.adjust(*self.policy())
        if result is None:
            return 'Signal ignored: group %s is in cooldown%s' % (group.name, cause), []
        before, after = result
        if before == after:
            return ('Group %s stays at %d member(s): it is at its bound%s'
                    % (group.name, before, cause), [])
        verb = 'up' if after > before else 'down'
        return ('Scaled group %s %s from %d to %d member(s)%s'
                % (group.name, verb, before, after, cause), [group])


    def _already_handled(self, action_id: Any) -> bool:
        """Whether ``action_id`` is among the last ones this policy took;
        remembers it (in the policy's data, stored with the signal) if not."""
        if not isinstance(action_id, str) or not action_id:
            return False
        recent = list(self.data.get('recent_action_ids') or ())
        if action_id in recent:
            return True
        self.data['recent_action_ids'] = (recent + [action_id])[-RECENT_ACTIONS_KEPT:]
        return False


class HeatScalingPolicy(ScalingPolicy):
    """OS::Heat::ScalingPolicy: the same policy in HOT's words; ``alarm_url``
    is the pre-signed URL, ``signal_url`` the unsigned signal route (Heat's
    form: a caller with a token of the project POSTs to it)."""

    description = 'Resizes an OS::Heat::AutoScalingGroup when signalled.'
    properties_schema = {
        'auto_scaling_group_id': props.Property(props.STRING, 'The group it resizes.',
                                                required=True),
        'scaling_adjustment': props.Property(props.NUMBER, 'How much to adjust by.',
                                             required=True, update_allowed=True),
        'adjustment_type': props.Property(props.STRING, 'How the adjustment counts.',
                                          required=True, update_allowed=True,
                                          allowed_values=tuple(scaling.HOT_ADJUSTMENT_TYPES)),
        'cooldown': props.Property(props.INTEGER, 'Seconds after a scaling during which '
                                   'signals are ignored (default: the group\'s).',
                                   update_allowed=True, min_value=0),
        'min_adjustment_step': props.Property(props.INTEGER, 'Smallest change a '
                                              'percentage adjustment makes.',
                                              update_allowed=True, min_value=0),
    }
    attributes_schema = {'alarm_url': 'The pre-signed URL that signals this policy.',
                         'signal_url': 'The signal route of this policy (needs a token).'}
    group_property = 'auto_scaling_group_id'

    def policy(self) -> tuple[str, float, float | None, int | None]:
        p = self.properties
        return (scaling.HOT_ADJUSTMENT_TYPES[p['adjustment_type']], p['scaling_adjustment'],
                p.get('cooldown'), p.get('min_adjustment_step'))

    def get_reference_id(self) -> str:
        return self.physical_id or self.name

    def resolve_attribute(self, name: str) -> Any:
        if name == 'signal_url':
            if not self.physical_id:
                return None
            return clients.api_base(self.stack.runtime.conf) + clients.signal_path(
                self.stack, self.name)
        return self.signal_url()
