"""Nested stacks: OS::Heat::Stack and provider templates (a resource type
mapped to a template file in the environment, or named by one).

A nested stack is a stack of its own whose ``owner_id`` is the parent stack;
the resource's physical id is its id. A provider template's resource passes
its properties as the template's parameters and shows its outputs as its
attributes.
"""

import hashlib
from typing import Any

from heat_watch.common import exceptions
from heat_watch.orchestration import properties as props
from heat_watch.orchestration import resource, states

# Among the changed properties of a provider resource: its template changed.
TEMPLATE_CHANGE = '(template)'


class _Nested(resource.Resource):
    """What both kinds of nested stacks share."""

    def _orchestrator(self):
        return self.stack.runtime.orchestrator

    def _create(self, body: Any, params: dict, environment: Any = None) -> None:
        child = self._orchestrator().create_nested(self.stack, self.name, body, params,
                                                   environment=environment,
                                                   stored=self._child_stored)
        self.physical_id = child.id
        if child.record.status != states.COMPLETE:
            raise exceptions.ResourceFailure(reason=child.record.status_reason)

    def _update(self, body: Any, params: dict) -> None:
        failed = self._orchestrator().update_nested(self.stack, self.physical_id, body,
                                                    params)
        if failed is not None:
            raise exceptions.ResourceFailure(reason=failed)

    def _child_stored(self, child_id: str) -> None:
        # Known before the child's resources exist: a parent deleted after
        # an engine died mid-create still finds (and deletes) its child.
        self.physical_id = child_id
        self.stack.runtime.actions.persist_physical(self.stack, self.name, self)

    def handle_delete(self) -> None:
        if self.physical_id and not self._orchestrator().delete_nested(self.stack,
                                                                       self.physical_id):
            raise exceptions.ResourceFailure(reason='the nested stack %s could not be deleted'
                                             % self.physical_id)

    def _outputs(self) -> dict:
        if not self.physical_id:
            return {}
        runtime = self.stack.runtime
        child = runtime.load(runtime.stacks.get(self.physical_id))
        return {o['output_key']: o.get('output_value') for o in child.outputs()}


class NestedStack(_Nested):
    """OS::Heat::Stack: a stack from a template given inline."""

    description = 'A nested stack from an inline template.'
    properties_schema = {
        'template': props.Property(props.ANY, 'The template (text or map).', required=True,
                                   update_allowed=True),
        'parameters': props.Property(props.MAP, 'Its parameter values.', default={},
                                     update_allowed=True),
        'timeout': props.Property(props.INTEGER, 'Timeout in minutes.', update_allowed=True),
        'context': props.Property(props.MAP, 'Region of the nested stack (only this '
                                  'region is supported).'),
    }
    attributes_schema = {'outputs': 'The outputs of the nested stack.',
                         'stack_name': 'The name of the nested stack.'}

    def handle_create(self) -> None:
        region = (self.properties.get('context') or {}).get('region_name')
        if region and region != self.stack.runtime.region:
            raise exceptions.ResourceFailure(
                reason='Nested stacks in another region (%s) are not supported; this '
                       'orchestrator serves %s' % (region, self.stack.runtime.region))
        self._create(self.properties['template'], self.properties['parameters'] or {})

    def handle_update(self, new_properties: dict, changed: set[str]) -> None:
        self.properties = new_properties
        self._update(new_properties['template'], new_properties['parameters'] or {})

    def resolve_attribute(self, name: str) -> Any:
        if name == 'stack_name':
            return self.stack.runtime.stacks.get(self.physical_id).name \
                if self.physical_id else None
        return self._outputs()


class TemplateResource(_Nested):
    """A resource implemented by a provider template."""

    description = 'A resource implemented by a provider template.'

    def _template_body(self) -> Any:
        files = self.stack.record.files or {}
        if self.type_name not in files:
            raise exceptions.InvalidTemplate(
                'Could not fetch remote template "%s": not in the files given with the '
                'request' % self.type_name)
        return files[self.type_name]

    @classmethod
    def validate_properties(cls, where: str, values: dict | None) -> dict:
        if values is not None and not isinstance(values, dict):
            raise exceptions.InvalidTemplate('%s: must be a map' % where)
        return dict(values or {})

    def needs_replacement(self, changed: set[str]) -> bool:
        return False

    def _digest(self) -> str:
        return hashlib.sha256(str(self._template_body()).encode()).hexdigest()

    def changed_properties(self, new_properties: dict) -> set[str]:
        """The properties that changed; a changed provider template (the
        file sent with the update) counts as a change too."""
        changed = super().changed_properties(new_properties)
        if self.data.get('template_digest') != self._digest():
            changed.add(TEMPLATE_CHANGE)
        return changed

    def _params(self) -> dict:
        return {k: v for k, v in self.properties.items() if v is not None}

    def handle_create(self) -> None:
        self.data['template_digest'] = self._digest()
        self._create(self._template_body(), self._params())

    def handle_update(self, new_properties: dict, changed: set[str]) -> None:
        self.properties = new_properties
        self.data['template_digest'] = self._digest()
        self._update(self._template_body(), self._params())

    def get_attribute(self, name: str) -> Any:
        outputs = self._outputs()
        if name == 'OS::stack_id':
            return self.physical_id
        return outputs.get(name)
