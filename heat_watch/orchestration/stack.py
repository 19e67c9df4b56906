"""A stack as the engine works on it: the stored record, the bound template,
the resource plugin instances; it is the template library's ResolveContext
(Ref/get_resource, GetAtt/get_attr and Fn::GetAZs read it).
"""

from __future__ import annotations

import secrets
import string
from typing import TYPE_CHECKING, Any

from oslo_log import log

from heat_watch.common import exceptions
from heat_watch.orchestration import resource, resources, sealing, template
from heat_watch.orchestration.storage.resources import ResourceRecord
from heat_watch.orchestration.storage.stacks import StackRecord

if TYPE_CHECKING:
    from heat_watch.orchestration.runtime import Runtime

LOG = log.getLogger(__name__)

def is_provider_template(type_name: str, files: dict | None) -> bool:
    """Whether a (mapped) resource type names a provider template."""
    return template.is_template_name(type_name) or type_name in (files or {})


def identity(record: StackRecord, region: str) -> template.StackIdentity:
    """The template library's view of who the stack is (pseudo parameters)."""
    return template.StackIdentity(record.name, record.id, record.project_id, region)


class Stack:
    """A loaded stack: definitions bound, a plugin instance per resource."""

    def __init__(self, record: StackRecord, bound: template.BoundTemplate,
                 environment: template.Environment, runtime: Runtime,
                 stored: dict[str, ResourceRecord] | None = None):
        self.record = record
        self.bound = bound
        self.environment = environment
        self.runtime = runtime
        self.definitions = bound.resources()
        # When the running action gives up (time.monotonic()); set per action.
        self.deadline = float('inf')
        # The stack whose operation this one is part of (a nested stack's
        # root): cancelling that operation cancels this one's too.
        self.operation = record.id
        self._requires: dict[str, set[str]] | None = None
        # Values of hidden parameters: sealed in storage, masked in events.
        self.secrets = sealing.secrets_of(bound.parameters, bound.hidden_parameters)
        self.stored: dict[str, ResourceRecord] = dict(stored or {})
        self.resources: dict[str, resource.Resource] = {}
        for name, definition in self.definitions.items():
            self.resources[name] = self.instantiate(name, definition.type)

    # -- building --

    @property
    def id(self) -> str:
        return self.record.id

    @property
    def name(self) -> str:
        return self.record.name

    def resolve_type(self, type_name: str, resource_name: str) -> str:
        """The type a definition maps to in the environment."""
        return self.environment.resolve_type(type_name, resource_name)

    def plugin_class(self, type_name: str, resource_name: str) -> tuple[type, str]:
        """(plugin class, mapped type) of a definition's type."""
        mapped = self.resolve_type(type_name, resource_name)
        if is_provider_template(mapped, self.record.files):
            from heat_watch.orchestration.resources import nested
            return nested.TemplateResource, mapped
        return resources.get(mapped), mapped

    def instantiate(self, name: str, type_name: str) -> resource.Resource:
        """A plugin instance for a definition, with its stored state if any."""
        cls, mapped = self.plugin_class(type_name, name)
        stored = self.stored.get(name)
        if stored is not None and stored.type == type_name:
            instance = cls(name, mapped, self, stored.physical_id, stored.data,
                           stored.properties)
        else:
            instance = cls(name, mapped, self)
        instance.template_type = type_name
        return instance

    def properties_path(self, name: str) -> str:
        """Where a resource's properties are, in the template's own words
        (``resources.r.properties`` in HOT, ``Resources.r.Properties`` in CFN)."""
        if self.bound.template.kind == 'hot':
            return 'resources.%s.properties' % name
        return 'Resources.%s.Properties' % name

    def requires(self) -> dict[str, set[str]]:
        """Resource name -> the resource names it depends on (computed once:
        every resource of a large stack asks)."""
        if self._requires is None:
            names = set(self.definitions)
            self._requires = {name: set(d.depends_on) & names
                              for name, d in self.definitions.items()}
        return self._requires

    def physical_name(self, resource_name: str) -> str:
        """A unique name for a physical resource, as Heat makes them."""
        suffix = ''.join(secrets.choice(string.ascii_lowercase + string.digits)
                         for _ in range(12))
        return '%s-%s-%s' % (self.name[:32], resource_name[:20], suffix)

    # -- ResolveContext --

    def resource_reference(self, name: str) -> str:
        """Ref / get_resource: the resource's reference id."""
        try:
            return self.resources[name].get_reference_id()
        except KeyError:
            raise exceptions.InvalidTemplate(
                'The specified reference "%s" is not in the template.' % name)

    def resource_attribute(self, name: str, attribute: str, path: list) -> Any:
        """GetAtt / get_attr with an optional path into the value."""
        if name not in self.resources:
            raise exceptions.InvalidTemplate(
                'The specified reference "%s" is not in the template.' % name)
        rsrc = self.resources[name]
        # Groups read a path themselves (get_attr [g, outputs, member_attr]).
        if attribute is not None and hasattr(rsrc, 'attribute_with_path'):
            return rsrc.attribute_with_path(attribute, list(path or []))
        if attribute is None:  # HOT get_attr: [name]: every attribute
            value = {key: rsrc.get_attribute(key) for key in rsrc.attributes_schema}
        else:
            value = rsrc.get_attribute(attribute)
        return resource.walk_path(value, list(path or []))

    def availability_zones(self) -> list[str]:
        """Fn::GetAZs: the compute driver's zones."""
        return self.runtime.compute.availability_zones()

    # -- outputs --

    def outputs(self) -> list[dict]:
        """Every output resolved; an output that cannot be resolved carries
        its error instead of its value (as Heat shows it)."""
        shown = []
        for name, output in self.bound.outputs().items():
            item = {'output_key': name, 'description': output.description or 'No description given'}
            try:
                item['output_value'] = output.resolve(self)
            except Exception as error:  # a plugin's failure must not fail the show
                if not isinstance(error, exceptions.HeatWatchError):
                    LOG.exception('Stack %s: output %s failed', self.id, name)
                item['output_value'] = None
                item['output_error'] = str(error)
            shown.append(item)
        return shown

    def output(self, key: str) -> Any:
        """One output's value; NotFound when the template has none of that name."""
        outputs = self.bound.outputs()
        if key not in outputs:
            raise exceptions.NotFound(kind='Output', name=key)
        return outputs[key].resolve(self)


class ValidationContext:
    """Resolves a template before anything exists: references are the
    resource names, attributes are None."""

    def __init__(self, stack: Stack):
        self.stack = stack

    def resource_reference(self, name: str) -> str:
        if name not in self.stack.definitions:
            raise exceptions.InvalidTemplate(
                'The specified reference "%s" is not in the template.' % name)
        return name

    def resource_attribute(self, name: str, attribute: str, path: list) -> Any:
        if name not in self.stack.definitions:
            raise exceptions.InvalidTemplate(
                'The specified reference "%s" is not in the template.' % name)
        return None

    def availability_zones(self) -> list[str]:
        return self.stack.availability_zones()
