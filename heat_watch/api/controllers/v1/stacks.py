"""/v1/{tenant_id}/stacks: list, create, preview, the name-to-id redirect,
show, update (PUT), patch (PATCH), delete, template, environment, outputs."""

import collections
import threading
from typing import Any

import pecan
import webob

from heat_watch.api.controllers.v1 import base, views

# Sub-paths that follow a stack's name alone: redirected with the name's id.
REDIRECTED = ('resources', 'events', 'template', 'environment', 'outputs', 'files',
              'preview')
# Request fields Heat takes beside the template (the rest are stack arguments).
_ARGS = ('disable_rollback', 'timeout_mins', 'clear_parameters')
_LIST_FILTERS = ('name', 'action', 'status')


def _template(body: dict, required: bool = True) -> Any:
    """The request's template (a map, or its JSON/YAML text)."""
    if body.get('template') is not None:
        return body['template']
    if body.get('template_url'):
        # python-heatclient fetches template URLs itself and sends the text;
        # fetching arbitrary URLs from the API would let callers probe our network.
        raise base.HTTPError(400, 'template_url is not supported by this API: send the '
                             'template itself in "template" (python-heatclient does).')
    if required:
        raise base.HTTPError(400, 'No template specified')
    return None


def _args(body: dict) -> dict:
    return {name: body[name] for name in _ARGS if body.get(name) is not None}


def _stack_name(body: dict) -> str:
    name = body.get('stack_name')
    if name is None:
        raise base.HTTPError(400, 'No stack name specified')
    return name


def _request(body: dict, template_required: bool = True) -> dict:
    """The keyword arguments of create, preview and update calls."""
    if body.get('adopt_stack_data') is not None:
        raise base.HTTPError(400, 'Stack adopt is not supported by this API.')
    return {'template': _template(body, template_required),
            'params': body.get('parameters'), 'files': body.get('files'),
            'environment': body.get('environment'), 'args': _args(body)}


def _filters(request: webob.Request) -> dict | None:
    filters = {}
    for name in _LIST_FILTERS:
        values = request.GET.getall(name)
        if values:
            filters[name] = values[0] if len(values) == 1 else values
    return filters or None


@base.answers_heat_errors
def index(tenant_id: str, params: dict, detail: bool = False) -> webob.Response:
    """GET /stacks (and /stacks/detail)."""
    ctxt = base.context_for(tenant_id, 'stacks:detail' if detail else 'stacks:index')
    listed = base.orchestrator().list_stacks(
        ctxt, show_nested=base.query_bool(params, 'show_nested'),
        limit=base.query_int(params, 'limit'), filters=_filters(pecan.request),
        marker=params.get('marker') or None, sort_dir=params.get('sort_dir') or 'desc')
    if not detail:
        return base.json_response({'stacks': [views.stack_summary(s) for s in listed]})
    # The list carries no parameters: each stack's own show does (outputs
    # are not resolved, as in Heat's detail list).
    shown = [base.orchestrator().show_stack(ctxt, s['id'], resolve_outputs=False)
             for s in listed]
    return base.json_response({'stacks': [views.stack_detail(s) for s in shown]})


@base.answers_heat_errors
def create(tenant_id: str, params: dict) -> webob.Response:
    """POST /stacks: 201 with the new stack's link, as Location too."""
    ctxt = base.context_for(tenant_id, 'stacks:create')
    body = base.json_body()
    identity = base.orchestrator().create_stack(ctxt, _stack_name(body), **_request(body))
    shown = views.identity_of(identity)
    return base.json_response({'stack': shown}, 201,
                              {'Location': shown['links'][0]['href']})


@base.answers_heat_errors
def preview(tenant_id: str, params: dict) -> webob.Response:
    """POST /stacks/preview: what create would make, nothing stored."""
    ctxt = base.context_for(tenant_id, 'stacks:preview')
    body = base.json_body()
    shown = base.orchestrator().preview_stack(ctxt, _stack_name(body), **_request(body))
    return base.json_response({'stack': views.preview(shown)})


class _Remembered:
    """A bounded map (oldest first out), safe from any request thread."""

    def __init__(self, size: int):
        self.size = size
        self._items: collections.OrderedDict[tuple[str, str], Any] = \
            collections.OrderedDict()
        self._lock = threading.Lock()

    def _get(self, key: tuple[str, str]) -> Any:
        with self._lock:
            return self._items.get(key)

    def _put(self, key: tuple[str, str], value: Any) -> None:
        with self._lock:
            self._items[key] = value
            while len(self._items) > self.size:
                self._items.popitem(last=False)


class IdentityCache(_Remembered):
    """The names of stacks this API looked up by id, per project: a stack's
    id names it for good (even deleted, a stack is found by its id), so the
    redirect of /stacks/{id} (what python-heatclient asks before every call
    on a stack id, each status poll among them) needs the orchestrator only
    once. Names are not cached: a name can be given to another stack."""

    def __init__(self, size: int = 10000):
        super().__init__(size)

    def get(self, project_id: str, stack_id: str) -> str | None:
        return self._get((project_id, stack_id))

    def put(self, project_id: str, identity: dict) -> None:
        self._put((project_id, identity['stack_id']), identity['stack_name'])


IDENTITIES = IdentityCache()


class DeletedStacks(_Remembered):
    """The show answers of deleted stacks, per project: a DELETE_COMPLETE
    stack never changes again (nothing acts on it, nothing purges it), so
    the polls that wait for a delete (``openstack stack delete --wait``)
    are answered here once the delete's answer or one show brought it."""

    def __init__(self, size: int = 1000):
        super().__init__(size)

    def get(self, project_id: str, name: str, stack_id: str) -> dict | None:
        """The stack of that id if it is known deleted and the path's name
        is its name or id (any other name is the orchestrator's 404)."""
        shown = self._get((project_id, stack_id))
        if shown is None or name not in (shown['stack_name'], shown['id']):
            return None
        return shown

    def remember(self, project_id: str, shown: dict | None) -> None:
        """Keep ``shown`` if it is a deleted stack."""
        if shown and shown.get('stack_status') == DELETE_COMPLETE:
            self._put((project_id, shown['id']), shown)


DELETE_COMPLETE = 'DELETE_COMPLETE'
DELETED = DeletedStacks()


def _identify(ctxt, tenant_id: str, stack_ref: str) -> dict:
    name = IDENTITIES.get(tenant_id, stack_ref)
    if name is not None:
        return {'stack_name': name, 'stack_id': stack_ref}
    identity = base.orchestrator().identify_stack(ctxt, stack_ref)
    if identity['stack_id'] == stack_ref:
        IDENTITIES.put(tenant_id, identity)
    return identity


@base.answers_heat_errors
def lookup(tenant_id: str, params: dict, stack_ref: str, *path: str) -> webob.Response:
    """/stacks/{name}[/sub-path]: 302 to the stack's canonical URL."""
    ctxt = base.context_for(tenant_id, 'stacks:lookup')
    identity = _identify(ctxt, tenant_id, stack_ref)
    location = base.stack_url(tenant_id, identity['stack_name'], identity['stack_id'], *path)
    if pecan.request.query_string:
        location += '?' + pecan.request.query_string
    return base.redirect(location)


def identified(ctxt, name: str, stack_id: str) -> dict:
    """The identity the path names, for the operation's own RPC call: the
    orchestrator finds the stack of that id and checks its name (404 when
    they disagree, as Heat answers) in the same call."""
    return {'stack_name': name, 'stack_id': stack_id}


@base.answers_heat_errors
def show(tenant_id: str, params: dict, name: str, stack_id: str) -> webob.Response:
    """GET /stacks/{name}/{id}: the stack with parameters and outputs."""
    ctxt = base.context_for(tenant_id, 'stacks:show')
    resolve_outputs = base.query_bool(params, 'resolve_outputs', True)
    shown = DELETED.get(tenant_id, name, stack_id)
    if shown is None:
        shown = base.orchestrator().show_stack(ctxt, identified(ctxt, name, stack_id),
                                               resolve_outputs=resolve_outputs)
        DELETED.remember(tenant_id, shown)
    return base.json_response({'stack': views.stack_detail(shown)})


def _update(tenant_id: str, name: str, stack_id: str, patch: bool) -> webob.Response:
    ctxt = base.context_for(tenant_id, 'stacks:update_patch' if patch else 'stacks:update')
    ref = identified(ctxt, name, stack_id)
    body = base.json_body()
    base.orchestrator().update_stack(ctxt, ref, patch=patch,
                                     **_request(body, template_required=not patch))
    return base.json_response(None, 202)


@base.answers_heat_errors
def update(tenant_id: str, params: dict, name: str, stack_id: str) -> webob.Response:
    """PUT /stacks/{name}/{id}: 202, the update runs in the background."""
    return _update(tenant_id, name, stack_id, patch=False)


@base.answers_heat_errors
def update_patch(tenant_id: str, params: dict, name: str, stack_id: str) -> webob.Response:
    """PATCH /stacks/{name}/{id}: the existing template and parameters kept."""
    return _update(tenant_id, name, stack_id, patch=True)


@base.answers_heat_errors
def delete(tenant_id: str, params: dict, name: str, stack_id: str) -> webob.Response:
    """DELETE /stacks/{name}/{id}: 204, the delete runs in the background."""
    ctxt = base.context_for(tenant_id, 'stacks:delete')
    DELETED.remember(tenant_id, base.orchestrator().delete_stack(
        ctxt, identified(ctxt, name, stack_id)))
    return base.json_response(None, 204)


@base.answers_heat_errors
def template(tenant_id: str, params: dict, name: str, stack_id: str) -> webob.Response:
    """GET /stacks/{name}/{id}/template: the template as stored."""
    ctxt = base.context_for(tenant_id, 'stacks:template')
    return base.json_response(base.orchestrator().get_template(
        ctxt, identified(ctxt, name, stack_id)))


@base.answers_heat_errors
def environment(tenant_id: str, params: dict, name: str, stack_id: str) -> webob.Response:
    """GET /stacks/{name}/{id}/environment (hidden parameters masked)."""
    ctxt = base.context_for(tenant_id, 'stacks:environment')
    return base.json_response(base.orchestrator().get_environment(
        ctxt, identified(ctxt, name, stack_id)))


@base.answers_heat_errors
def outputs(tenant_id: str, params: dict, name: str, stack_id: str) -> webob.Response:
    """GET /stacks/{name}/{id}/outputs: keys and descriptions."""
    ctxt = base.context_for(tenant_id, 'stacks:list_outputs')
    listed = base.orchestrator().list_outputs(ctxt, identified(ctxt, name, stack_id))
    return base.json_response({'outputs': listed})


@base.answers_heat_errors
def output(tenant_id: str, params: dict, name: str, stack_id: str,
           key: str) -> webob.Response:
    """GET /stacks/{name}/{id}/outputs/{key}: one output with its value."""
    ctxt = base.context_for(tenant_id, 'stacks:show_output')
    shown = base.orchestrator().show_output(ctxt, identified(ctxt, name, stack_id), key)
    return base.json_response({'output': views.output(shown)})
