"""Groups as nested stacks, as Heat makes them: OS::Heat::ResourceGroup and
OS::Heat::AutoScalingGroup.

A group is a stack of its own (the resource's physical id) holding one
resource per member, all from the same definition. Resizing the group is an
update of that stack to a template with more or fewer members, so members
are created, updated (a changed definition updates or replaces each one) and
deleted by the engine like any other resources, with their events in the
nested stack.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from heat_watch.common import exceptions
from heat_watch.orchestration import properties as props
from heat_watch.orchestration import resource
from heat_watch.orchestration.resources import autoscaling, nested

HOT_VERSION = '2015-10-15'
_RESOURCE_N = re.compile(r'^resource\.(?P<index>[^.]+)(?:\.(?P<attr>.+))?$')


def _substitute(value: Any, variable: str, index: int) -> Any:
    """``value`` with ``variable`` replaced by ``index`` in every string."""
    if isinstance(value, str):
        return value.replace(variable, str(index))
    if isinstance(value, list):
        return [_substitute(v, variable, index) for v in value]
    if isinstance(value, dict):
        return {_substitute(k, variable, index): _substitute(v, variable, index)
                for k, v in value.items()}
    return value


def member_definition(definition: Any, where: str = 'resource definition') -> dict:
    """A member's definition in the nested template's words;
    InvalidTemplate when it names no type."""
    if not isinstance(definition, dict) or not isinstance(definition.get('type'), str):
        raise exceptions.InvalidTemplate('%s: a group\'s member definition is a map with '
                                         'a "type"' % where)
    allowed = ('type', 'properties', 'metadata', 'depends_on')
    return {k: copy.deepcopy(v) for k, v in definition.items() if k in allowed and v}


class _Group(nested._Nested):
    """A nested stack of identical members."""

    def members(self) -> list[str]:
        """Member names, oldest first."""
        return list(self.data.get('members') or [])

    def size(self) -> int:
        return len(self.members())

    def _definition(self, name: str) -> dict:
        raise NotImplementedError

    def _template(self, names: list[str]) -> dict:
        return {'heat_template_version': HOT_VERSION,
                'resources': {name: self._definition(name) for name in names}}

    def _create_members(self, names: list[str]) -> None:
        self.data['members'] = names
        self._create(self._template(names), {})

    def _update_members(self, names: list[str]) -> None:
        # Written first: an update that fails half-way leaves members of
        # the new list, which the next update reconciles.
        self.data['members'] = names
        if self.physical_id:
            self._update(self._template(names), {})
        else:
            self._create(self._template(names), {})

    def _child(self):
        runtime = self.stack.runtime
        return runtime.load(runtime.stacks.get(self.physical_id))

    def refs(self) -> list[Any]:
        """Each member's reference, in member order."""
        if not self.physical_id:
            return []
        child = self._child()
        return [child.resource_reference(name) for name in self.members()
                if name in child.resources]

    def refs_map(self) -> dict[str, Any]:
        if not self.physical_id:
            return {}
        child = self._child()
        return {name: child.resource_reference(name) for name in self.members()
                if name in child.resources}

    def member_attributes(self, attribute: str, path: list) -> dict[str, Any]:
        """Member name -> the member's ``attribute`` (with ``path``)."""
        if not self.physical_id:
            return {}
        child = self._child()
        return {name: child.resource_attribute(name, attribute, path)
                for name in self.members() if name in child.resources}

    def member(self, name: str, attribute: str | None, path: list) -> Any:
        """One member's reference, or its attribute."""
        if not self.physical_id or name not in self.members():
            raise exceptions.InvalidTemplate('Member "%s" of %s does not exist'
                                             % (name, self.name))
        child = self._child()
        if attribute is None:
            return child.resource_reference(name)
        return child.resource_attribute(name, attribute, path)


class ResourceGroup(_Group):
    """OS::Heat::ResourceGroup: ``count`` members named 0, 1, ...; the
    index variable in their definition is replaced by their index."""

    description = 'A fixed number of resources from one definition.'
    properties_schema = {
        'count': props.Property(props.INTEGER, 'Number of members.', default=1,
                                min_value=0, update_allowed=True),
        'index_var': props.Property(props.STRING, 'Replaced by the index in the '
                                    'definition.', default='%index%'),
        'resource_def': props.Property(props.MAP, 'The members\' definition (type, '
                                       'properties, metadata).', required=True,
                                       update_allowed=True),
        'removal_policies': props.Property(props.LIST, 'Accepted; the highest indices '
                                           'go first whatever it says.', default=[],
                                           update_allowed=True),
        'removal_policies_mode': props.Property(props.STRING, 'Accepted (see '
                                                'removal_policies).', default='append',
                                                allowed_values=('append', 'update'),
                                                update_allowed=True),
    }
    attributes_schema = {
        'refs': 'The members\' references, by index.',
        'refs_map': 'Member name -> its reference.',
        'attributes': 'Member name -> its given attribute (get_attr [g, attributes, a]).',
        'removed_rsrc_list': 'Members removed by removal policies (always empty).',
    }

    @classmethod
    def check_literal_properties(cls, where: str, values: dict) -> None:
        """InvalidTemplate (before anything is created) for a member
        definition without a type."""
        if 'resource_def' in values:
            member_definition(values['resource_def'], where + '.resource_def')

    def _definition(self, name: str) -> dict:
        definition = member_definition(self.properties['resource_def'])
        return _substitute(definition, self.properties['index_var'], int(name))

    def handle_create(self) -> None:
        member_definition(self.properties['resource_def'])
        self._create_members([str(i) for i in range(self.properties['count'])])

    def handle_update(self, new_properties: dict, changed: set[str]) -> None:
        self.properties = new_properties
        member_definition(new_properties['resource_def'])
        self._update_members([str(i) for i in range(new_properties['count'])])

    def needs_replacement(self, changed: set[str]) -> bool:
        return False

    def get_attribute(self, name: str) -> Any:
        return self.attribute_with_path(name, [])

    def attribute_with_path(self, name: str, path: list) -> Any:
        """Heat's group attributes: refs, refs_map, ``attributes`` (a map of
        the attribute named next in the path), ``resource.N`` (a member's
        reference, or its attribute), and any other name: the list of the
        members' values of that attribute."""
        match = _RESOURCE_N.match(name)
        if match:
            attr = match.group('attr')
            if attr is None and path:
                attr, path = str(path[0]), list(path[1:])
            return self.member(match.group('index'), attr, path)
        if name == 'refs':
            return resource.walk_path(self.refs(), path)
        if name == 'refs_map':
            return resource.walk_path(self.refs_map(), path)
        if name == 'removed_rsrc_list':
            return []
        if name == 'attributes':
            if not path:
                raise exceptions.InvalidTemplate('get_attr [%s, attributes] names the '
                                                 'attribute next' % self.name)
            return self.member_attributes(str(path[0]), list(path[1:]))
        return list(self.member_attributes(name, path).values())


class HeatAutoScalingGroup(autoscaling.Scalable, _Group):
    """OS::Heat::AutoScalingGroup: members of any type kept within
    [min_size, max_size], resized by OS::Heat::ScalingPolicy signals; the
    oldest members go first when it shrinks, as in Heat."""

    description = 'A group of any resource that scaling policies resize.'
    properties_schema = {
        'min_size': props.Property(props.INTEGER, 'Fewest members.', required=True,
                                   min_value=0, update_allowed=True),
        'max_size': props.Property(props.INTEGER, 'Most members.', required=True,
                                   min_value=0, update_allowed=True),
        'desired_capacity': props.Property(props.INTEGER, 'Members to start with.',
                                           min_value=0, update_allowed=True),
        'cooldown': props.Property(props.INTEGER, 'Seconds after a scaling during which '
                                   'policies without a cooldown of their own do nothing.',
                                   min_value=0, update_allowed=True),
        'resource': props.Property(props.MAP, 'The members\' definition.', required=True,
                                   update_allowed=True),
        'rolling_updates': props.Property(props.MAP, 'Accepted (min_in_service, '
                                          'max_batch_size, pause_time): a changed '
                                          'definition updates all members in one pass.',
                                          default={}, update_allowed=True),
    }
    attributes_schema = {
        'current_size': 'Number of members.',
        'outputs': 'Member -> its given attribute (get_attr [g, outputs, a]).',
        'outputs_list': 'The members\' values of the given attribute.',
        'refs': 'The members\' references, oldest first.',
        'refs_map': 'Member name -> its reference.',
    }

    def bounds(self) -> tuple[int, int]:
        return self.properties['min_size'], self.properties['max_size']

    def group_cooldown(self) -> float | None:
        return self.properties.get('cooldown')

    @classmethod
    def check_literal_properties(cls, where: str, values: dict) -> None:
        """InvalidTemplate (before anything is created) for a member
        definition without a type, or min_size above max_size."""
        if 'resource' in values:
            member_definition(values['resource'], where + '.resource')
        low, high = values.get('min_size'), values.get('max_size')
        if low is not None and high is not None and int(low) > int(high):
            raise exceptions.InvalidTemplate('%s: min_size (%s) is larger than max_size (%s)'
                                             % (where, low, high))

    def _check(self) -> None:
        low, high = self.bounds()
        if low > high:
            raise exceptions.ResourceFailure(
                reason='min_size (%d) is larger than max_size (%d)' % (low, high))
        member_definition(self.properties['resource'])

    def _definition(self, name: str) -> dict:
        return member_definition(self.properties['resource'])

    def _new_names(self, count: int) -> list[str]:
        first = int(self.data.get('next_member') or 0)
        self.data['next_member'] = first + count
        return ['member-%d' % i for i in range(first, first + count)]

    def handle_create(self) -> None:
        self._check()
        low, high = self.bounds()
        desired = self.properties.get('desired_capacity')
        capacity = max(low, min(high, low if desired is None else desired))
        self._create_members(self._new_names(capacity))

    def resize(self, capacity: int) -> None:
        """Grow (new members last) or shrink (the oldest go) to ``capacity``."""
        names = self.members()
        if capacity > len(names):
            names = names + self._new_names(capacity - len(names))
        else:
            names = names[len(names) - capacity:]
        self._update_members(names)

    def handle_update(self, new_properties: dict, changed: set[str]) -> None:
        self.properties = new_properties
        self._check()
        low, high = self.bounds()
        wanted = self.size()
        if 'desired_capacity' in changed and new_properties.get('desired_capacity') is not None:
            wanted = new_properties['desired_capacity']
        self.resize(max(low, min(high, wanted)))

    def needs_replacement(self, changed: set[str]) -> bool:
        return False

    def get_attribute(self, name: str) -> Any:
        return self.attribute_with_path(name, [])

    def attribute_with_path(self, name: str, path: list) -> Any:
        """current_size, refs, refs_map; outputs and outputs_list of the
        attribute named next in the path."""
        if name not in self.attributes_schema:
            raise exceptions.InvalidTemplate(
                'The Referenced Attribute (%s %s) is incorrect.' % (self.name, name))
        if name == 'current_size':
            return self.size()
        if name == 'refs':
            return resource.walk_path(self.refs(), path)
        if name == 'refs_map':
            return resource.walk_path(self.refs_map(), path)
        if not path:
            raise exceptions.InvalidTemplate('get_attr [%s, %s] names the member attribute '
                                             'next' % (self.name, name))
        values = self.member_attributes(str(path[0]), list(path[1:]))
        return values if name == 'outputs' else list(values.values())

    def handle_delete(self) -> None:
        super().handle_delete()
        self.data['members'] = []



