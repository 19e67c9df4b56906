"""The base class of resource plugins.

A plugin declares its properties (:mod:`heat_watch.orchestration.properties`)
and attributes, and implements the steps of each action: ``handle_<action>``
starts the work and returns a cookie, ``check_<action>_complete(cookie)`` is
polled until it returns True. The engine (:mod:`heat_watch.orchestration.
actions`) runs the steps, records states and events, and persists
``physical_id`` and ``data`` (the plugin's own JSON-serialisable state).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from heat_watch.common import exceptions
from heat_watch.orchestration import properties as props

if TYPE_CHECKING:
    from heat_watch.orchestration.stack import Stack


class Resource:
    """A resource of a stack, as its plugin sees it."""

    #: Name -> Property: what the template may set.
    properties_schema: dict[str, props.Property] = {}
    #: Name -> description: what get_attr / Fn::GetAtt may read.
    attributes_schema: dict[str, str] = {}
    #: Keys of ``data`` that are secrets: stored encrypted.
    secret_data: tuple[str, ...] = ()
    description = ''

    def __init__(self, name: str, type_name: str, stack: Stack,
                 physical_id: str | None = None, data: dict | None = None,
                 properties: dict | None = None):
        self.name = name
        # The mapped type (a provider template's file name for those) ...
        self.type_name = type_name
        # ... and the type as the template wrote it.
        self.template_type = type_name
        self.stack = stack
        self.physical_id = physical_id
        self.data: dict = dict(data or {})
        # The validated properties of the current definition.
        self.properties: dict = dict(properties or {})

    # -- definition --

    @classmethod
    def validate_properties(cls, where: str, values: dict | None) -> dict:
        """Validated properties (defaults filled in); InvalidTemplate naming
        ``where`` (the properties' place: ``resources.<name>.properties``)."""
        return props.validate(cls.properties_schema, values, where)

    def changed_properties(self, new_properties: dict) -> set[str]:
        """Names of the properties whose values differ in ``new_properties``."""
        return {name for name in set(self.properties) | set(new_properties)
                if self.properties.get(name) != new_properties.get(name)}

    def needs_replacement(self, changed: set[str]) -> bool:
        """Whether these changes need a new resource (a property that does not
        allow updates changed)."""
        return any(not self.properties_schema[name].update_allowed for name in changed
                   if name in self.properties_schema)

    # -- steps of the actions (the defaults do nothing and are done at once) --

    def handle_create(self) -> Any:
        """Start creating; returns a cookie for check_create_complete."""
        return None

    def check_create_complete(self, cookie: Any) -> bool:
        """Whether the creation started by handle_create is done."""
        return True

    def handle_update(self, new_properties: dict, changed: set[str]) -> Any:
        """Start an in-place update to ``new_properties``."""
        return None

    def check_update_complete(self, cookie: Any) -> bool:
        """Whether the update started by handle_update is done."""
        return True

    def handle_metadata_update(self, metadata: Any) -> None:
        """The resource's template metadata changed (already stored)."""

    def handle_delete(self) -> Any:
        """Start deleting the physical resource."""
        return None

    def check_delete_complete(self, cookie: Any) -> bool:
        """Whether the deletion started by handle_delete is done."""
        return True

    # -- what the template reads --

    def get_reference_id(self) -> str:
        """Ref / get_resource: the physical id, or the name before creation."""
        return self.physical_id or self.name

    def get_attribute(self, name: str) -> Any:
        """Fn::GetAtt / get_attr; InvalidTemplate for an unknown attribute."""
        if name not in self.attributes_schema:
            raise exceptions.InvalidTemplate(
                'The Referenced Attribute (%s %s) is incorrect.' % (self.name, name))
        return self.resolve_attribute(name)

    def resolve_attribute(self, name: str) -> Any:
        """The value of a declared attribute (plugins override)."""
        return None

    @classmethod
    def schema(cls, type_name: str) -> dict:
        """The type as ``GET /resource_types/{type}`` shows it."""
        return {'resource_type': type_name, 'description': cls.description,
                'properties': {n: p.to_dict() for n, p in cls.properties_schema.items()},
                'attributes': {n: {'description': d} for n, d in cls.attributes_schema.items()},
                'support_status': {'status': 'SUPPORTED', 'version': None,
                                   'message': None, 'previous_status': None}}


def walk_path(value: Any, path: list) -> Any:
    """``value`` followed down ``path`` (get_attr's extra arguments: keys of
    maps, indices of lists); None where the path leads nowhere."""
    for key in path:
        if isinstance(value, dict):
            value = value.get(key)
        elif isinstance(value, list):
            try:
                value = value[int(key)]
            except (ValueError, IndexError):
                return None
        else:
            return None
    return value
