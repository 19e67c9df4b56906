"""The REST API's OpenAPI 3 description (openapi.yaml, package data) and
the routes the pecan controllers really serve, derived from the controller
tree (the test that keeps the description true compares the two).

The walk follows pecan's own routing rules: an object controller's
``index`` and exposed methods, a RestController's get_all/get_one/get/post/
put/delete (each required argument but the WSME body is one path segment),
its ``_custom_actions``, its sub-controllers (class or instance attributes)
and ``_lookup`` (called with a placeholder, inside a blank request, to find
the controller it hands the rest of the path to).
"""

import functools
import importlib.resources
import inspect
import re
import threading
from typing import Any

import pecan
import yaml
from pecan import rest
from webob import request as webob_request

SPEC_RESOURCE = 'openapi.yaml'
# The method of a route pecan serves for every method (a non-generic expose).
ANY_METHOD = '*'
HTTP_METHODS = ('get', 'put', 'post', 'delete', 'patch', 'head', 'options')
_REST_METHODS = {'get_all': 'GET', 'get_one': 'GET', 'get': 'GET', 'post': 'POST',
                 'put': 'PUT', 'delete': 'DELETE', 'patch': 'PATCH'}
# Methods with one path segment per required argument (get_all has none).
_COLLECTION_ONLY = ('get_all',)


@functools.cache
def spec_text() -> str:
    """The OpenAPI document as shipped with the package."""
    return importlib.resources.files('heat_watch.api').joinpath(SPEC_RESOURCE).read_text()


def spec() -> dict:
    """The OpenAPI document, parsed (a fresh copy: callers may change it)."""
    return yaml.safe_load(spec_text())


def spec_routes(document: dict | None = None) -> set[tuple[str, str]]:
    """(METHOD, path template) of every operation of the description."""
    document = document or spec()
    return {(method.upper(), path) for path, item in document['paths'].items()
            for method in item if method in HTTP_METHODS}


def _exposed(value: Any) -> bool:
    return callable(value) and getattr(value, 'exposed', False)


def _original(func: Any) -> Any:
    """The function a WSME/pecan wrapper calls in the end."""
    seen = set()
    while id(func) not in seen:
        seen.add(id(func))
        inner = getattr(func, '_wsme_original_func', None) or getattr(func, '__wrapped__', None)
        if inner is None:
            break
        func = inner
    return func


def _path_arguments(method: Any) -> list[str]:
    """Required arguments of an exposed method that pecan takes from the path
    (not self, not the WSME body, which is the last argument when declared)."""
    definition = getattr(method, '_wsme_definition', None)
    func = _original(method)
    definition = definition or getattr(func, '_wsme_definition', None)
    parameters = [p for p in inspect.signature(func).parameters.values()
                  if p.name != 'self' and p.kind in (p.POSITIONAL_ONLY,
                                                     p.POSITIONAL_OR_KEYWORD)]
    if definition is not None and getattr(definition, 'body_type', None) is not None:
        parameters = parameters[:-1]
    return [p.name for p in parameters if p.default is p.empty]


def _join(prefix: str, *segments: str) -> str:
    path = '/'.join([prefix.rstrip('/')] + [s for s in segments if s])
    return path or '/'


def _generic_methods(method: Any) -> list[str]:
    """The HTTP methods of a pecan.expose(generic=True) handler."""
    handlers = getattr(method, '_pecan', {}).get('generic_handlers', {})
    methods = {name.upper() for name in handlers if name != 'DEFAULT'}
    return sorted(methods | {'GET'})


def _children(controller: Any) -> dict[str, Any]:
    """Sub-controllers by name: attributes that pecan would route into."""
    found = {}
    names = set(vars(type(controller))) | set(getattr(controller, '__dict__', {}))
    for name in sorted(names):
        if name.startswith('_') or name in _REST_METHODS:
            continue
        value = getattr(controller, name, None)
        if value is None or callable(value) or isinstance(value, (str, int, float, dict,
                                                                  list, tuple)):
            continue
        if _is_controller(value):
            found[name] = value
    return found


def _is_controller(value: Any, depth: int = 3) -> bool:
    """A RestController, an object with exposed methods, or one holding such."""
    if isinstance(value, rest.RestController):
        return True
    if depth == 0 or isinstance(value, type) or type(value).__module__ == 'builtins':
        return False
    attributes = [getattr(value, name, None) for name in dir(type(value))
                  if not name.startswith('__')]
    if any(_exposed(attribute) for attribute in attributes):
        return True
    return any(_is_controller(attribute, depth - 1) for attribute in attributes
               if attribute is not None and not callable(attribute))


def _lookup_target(controller: Any) -> tuple[str, Any] | None:
    """(placeholder name, controller) that ``_lookup`` routes to."""
    lookup = getattr(controller, '_lookup', None)
    if lookup is None:
        return None
    arguments = [p.name for p in inspect.signature(_original(lookup)).parameters.values()
                 if p.name != 'self' and p.kind == p.POSITIONAL_OR_KEYWORD]
    name = arguments[0] if arguments else 'id'
    with _blank_request():
        target = lookup('{%s}' % name)
    if isinstance(target, tuple):
        target = target[0]
    return name, target


class _blank_request:
    """A request context for controllers whose constructors read pecan.request
    (pecan's context-local state exists only once an application was made)."""

    def __enter__(self):
        self.made_state = pecan.core.state is None
        if self.made_state:
            pecan.core.state = threading.local()
        request = webob_request.Request.blank('/')
        request.context = None
        pecan.core.state.request = request
        pecan.core.state.response = None

    def __exit__(self, *exc):
        if self.made_state:
            pecan.core.state = None
        else:
            del pecan.core.state.request
            del pecan.core.state.response


def served_routes(root: Any, prefix: str = '') -> set[tuple[str, str]]:
    """(METHOD, path template) of every route the controller tree serves."""
    routes: set[tuple[str, str]] = set()
    _walk(root, prefix, routes, set())
    return routes


def _walk(controller: Any, path: str, routes: set, seen: set) -> None:
    key = (type(controller), path)
    if key in seen:
        return
    seen.add(key)
    if isinstance(controller, rest.RestController):
        _rest_routes(controller, path, routes)
    else:
        _object_routes(controller, path, routes)
    for name, child in _children(controller).items():
        _walk(child, _join(path, name), routes, seen)
    target = _lookup_target(controller)
    if target is not None:
        name, child = target
        _walk(child, _join(path, '{%s}' % name), routes, seen)


def _object_routes(controller: Any, path: str, routes: set) -> None:
    for name in dir(type(controller)):
        method = getattr(controller, name, None)
        if name.startswith('_') or not _exposed(method):
            continue
        target = (path if name == 'index' else _join(path, name)) or '/'
        if not getattr(method, '_pecan', {}).get('generic'):
            # pecan hands a plain exposed method every HTTP method; which it
            # accepts is up to its code.
            routes.add((ANY_METHOD, target))
            continue
        for http_method in _generic_methods(method):
            routes.add((http_method, target))


def _rest_routes(controller: rest.RestController, path: str, routes: set) -> None:
    for name, http_method in _REST_METHODS.items():
        method = getattr(controller, name, None)
        if not _exposed(method):
            continue
        arguments = [] if name in _COLLECTION_ONLY else _path_arguments(method)
        routes.add((http_method, _join(path, *('{%s}' % a for a in arguments))))
    for action, methods in getattr(controller, '_custom_actions', {}).items():
        for http_method in methods:
            routes.add((http_method.upper(), _join(path, action)))


def normalised(routes: set[tuple[str, str]]) -> set[tuple[str, str]]:
    """Routes with their path parameters' names dropped ({x} -> {})."""
    return {(method, re.sub(r'\{[^}]*\}', '{}', path)) for method, path in routes}


def differences(served: set[tuple[str, str]],
                described: set[tuple[str, str]]) -> tuple[set, set]:
    """(served but not described, described but not served), path names
    dropped; a route served for ANY_METHOD covers every described method of
    its path and needs at least one."""
    served, described = normalised(served), normalised(described)
    any_paths = {path for method, path in served if method == ANY_METHOD}
    described_paths = {path for _method, path in described}
    undescribed = {(method, path) for method, path in served
                   if (method, path) not in described
                   and not (method == ANY_METHOD and path in described_paths)}
    unserved = {(method, path) for method, path in described
                if (method, path) not in served and path not in any_paths}
    return undescribed, unserved
