"""OS::Heat::None, OS::Heat::RandomString and OS::Heat::TestResource."""

import secrets
import string
import time
from typing import Any

from heat_watch.common import exceptions
from heat_watch.orchestration import properties as props
from heat_watch.orchestration import resource


class NoneResource(resource.Resource):
    """Does nothing; takes any properties (for placeholders and tests)."""

    description = 'A resource that does nothing; any properties are accepted.'

    @classmethod
    def validate_properties(cls, where: str, values: dict | None) -> dict:
        if values is not None and not isinstance(values, dict):
            raise exceptions.InvalidTemplate('%s: must be a map' % where)
        return dict(values or {})

    def needs_replacement(self, changed: set[str]) -> bool:
        return False

    def handle_create(self) -> None:
        self.physical_id = self.stack.physical_name(self.name)

    def get_attribute(self, name: str) -> Any:
        return None


_SEQUENCES = {
    'lettersdigits': string.ascii_letters + string.digits,
    'letters': string.ascii_letters,
    'lowercase': string.ascii_lowercase,
    'uppercase': string.ascii_uppercase,
    'digits': string.digits,
    'hexdigits': string.digits + 'ABCDEF',
    'octdigits': string.octdigits,
}


def random_string(length: int, pools: list[tuple[str, int]], fallback: str) -> str:
    """``length`` random characters, at least ``min`` from each (chars, min)
    pool, the rest from the union of the pools (``fallback`` if none)."""
    chosen = [secrets.choice(chars) for chars, minimum in pools for _ in range(minimum)]
    if len(chosen) > length:
        raise exceptions.InvalidTemplate(
            'Length property cannot be smaller than the combined character class '
            'and character sequence minimums')
    union = ''.join(sorted({c for chars, _ in pools for c in chars})) or fallback
    chosen += [secrets.choice(union) for _ in range(length - len(chosen))]
    # Shuffle so that the minimums are not all at the start.
    for i in range(len(chosen) - 1, 0, -1):
        j = secrets.randbelow(i + 1)
        chosen[i], chosen[j] = chosen[j], chosen[i]
    return ''.join(chosen)


class RandomString(resource.Resource):
    """A random string, generated once; its reference is the string itself."""

    description = 'Generates a random string (a password, a name suffix).'
    properties_schema = {
        'length': props.Property(props.INTEGER, 'Length of the string.', default=32,
                                 min_value=1, max_value=512),
        'sequence': props.Property(props.STRING, 'Character set (deprecated in Heat; '
                                   'use character_classes).',
                                   allowed_values=tuple(_SEQUENCES)),
        'character_classes': props.Property(
            props.LIST, 'Maps of "class" (one of %s) and "min".' % ', '.join(_SEQUENCES)),
        'character_sequences': props.Property(
            props.LIST, 'Maps of "sequence" (characters) and "min".'),
        'salt': props.Property(props.STRING, 'Changing it makes a new string.'),
    }
    attributes_schema = {'value': 'The random string.'}
    secret_data = ('value',)

    def _pools(self) -> list[tuple[str, int]]:
        pools = []
        for item in self.properties.get('character_classes') or []:
            chars = _SEQUENCES.get(item.get('class', 'lettersdigits'))
            if chars is None:
                raise exceptions.InvalidTemplate(
                    '%s.character_classes: unknown class %s'
                    % (self.stack.properties_path(self.name), item.get('class')))
            pools.append((chars, int(item.get('min', 1))))
        for item in self.properties.get('character_sequences') or []:
            pools.append((str(item.get('sequence', '')), int(item.get('min', 1))))
        if not pools and self.properties.get('sequence'):
            pools.append((_SEQUENCES[self.properties['sequence']], 0))
        return pools

    def handle_create(self) -> None:
        self.data['value'] = random_string(self.properties['length'], self._pools(),
                                           _SEQUENCES['lettersdigits'])
        self.physical_id = self.stack.physical_name(self.name)

    def get_reference_id(self) -> str:
        return self.data.get('value') or self.name

    def resolve_attribute(self, name: str) -> Any:
        return self.data.get('value')


class TestResource(resource.Resource):
    """OS::Heat::TestResource as Heat defines it: waits, fails or replaces on
    request, for testing the engine."""

    description = 'A resource for testing: waits, fails or is replaced on request.'
    properties_schema = {
        'value': props.Property(props.STRING, 'The value of the output attribute.',
                                default='test_string', update_allowed=True),
        'update_replace': props.Property(props.BOOLEAN, 'Replace the resource on update.',
                                         default=False, update_allowed=True),
        'update_replace_value': props.Property(props.STRING, 'Changing it replaces the '
                                               'resource.'),
        'fail': props.Property(props.BOOLEAN, 'Fail the action.', default=False,
                               update_allowed=True),
        'client_name': props.Property(props.STRING, 'Client that Heat asks about '
                                      'entity_name; accepted, not consulted here (no '
                                      'OpenStack clients in the engine).',
                                      default='', update_allowed=True),
        'entity_name': props.Property(props.STRING, 'Entity Heat checks through '
                                      'client_name; accepted, not consulted here.',
                                      default='', update_allowed=True),
        'wait_secs': props.Property(props.NUMBER, 'Seconds every action waits.',
                                    default=0, update_allowed=True),
        'action_wait_secs': props.Property(props.MAP, 'Seconds each action (create, '
                                           'update, delete) waits; overrides wait_secs.',
                                           update_allowed=True),
        'attr_wait_secs': props.Property(props.NUMBER, 'Seconds reading the output '
                                         'attribute waits.', default=0, update_allowed=True),
        'constraint_prop_secs': props.Property(props.NUMBER, 'Seconds the validation of '
                                               'this property waits in Heat; accepted, '
                                               'validation does not wait here.',
                                               default=0, update_allowed=True),
    }
    attributes_schema = {'output': 'The value of the value property.'}

    def _wait_secs(self, action: str) -> float:
        per_action = self.properties.get('action_wait_secs') or {}
        if action in per_action:
            return float(per_action[action])
        return float(self.properties.get('wait_secs') or 0)

    def _start(self, action: str) -> float:
        if self.properties.get('fail'):
            raise exceptions.ResourceFailure(reason='Test Resource failed %s' % self.name)
        return time.monotonic() + self._wait_secs(action)

    def needs_replacement(self, changed: set[str]) -> bool:
        if self.properties.get('update_replace') or 'update_replace_value' in changed:
            return True
        return super().needs_replacement(changed)

    def handle_create(self) -> float:
        self.physical_id = self.stack.physical_name(self.name)
        self.data['value'] = self.properties['value']
        return self._start('create')

    def check_create_complete(self, cookie: float) -> bool:
        return time.monotonic() >= cookie

    def handle_update(self, new_properties: dict, changed: set[str]) -> float:
        self.properties = new_properties
        self.data['value'] = new_properties['value']
        return self._start('update')

    def check_update_complete(self, cookie: float) -> bool:
        return time.monotonic() >= cookie

    def handle_delete(self) -> float:
        return time.monotonic() + self._wait_secs('delete')

    def check_delete_complete(self, cookie: float) -> bool:
        return time.monotonic() >= cookie

    def resolve_attribute(self, name: str) -> Any:
        wait = float(self.properties.get('attr_wait_secs') or 0)
        if wait:
            time.sleep(wait)
        return self.data.get('value', self.properties.get('value'))
