"""Resource plugins, loaded through stevedore from the entry points of the
``heat_watch.orchestration.resources`` namespace (the name is the type)."""

import threading

from stevedore import extension

from heat_watch.common import exceptions
from heat_watch.orchestration import resource

NAMESPACE = 'heat_watch.orchestration.resources'
_lock = threading.Lock()
_types: dict[str, type[resource.Resource]] | None = None


def types() -> dict[str, type[resource.Resource]]:
    """Every resource type by name (loaded once)."""
    global _types
    with _lock:
        if _types is None:
            manager = extension.ExtensionManager(NAMESPACE, invoke_on_load=False)
            _types = {ext.name: ext.plugin for ext in manager}
        return _types


def is_known(type_name: str) -> bool:
    """Whether a plugin implements ``type_name``."""
    return type_name in types()


def get(type_name: str) -> type[resource.Resource]:
    """The plugin class of ``type_name``; InvalidTemplate when there is none."""
    try:
        return types()[type_name]
    except KeyError:
        raise exceptions.InvalidTemplate('Unknown resource Type : %s' % type_name)
