"""/v1/{tenant_id}/...: Heat's route table, dispatched here rather than by
pecan's object traversal (stack names, ids and resource types are path
segments of any spelling, and a name alone redirects to its id)."""

from collections.abc import Callable

import pecan
import webob

from heat_watch.api.controllers.v1 import base, catalogue, resources, stacks

_ = None  # a path segment captured as an argument

# (path pattern, {method: handler}); handlers take (tenant_id, params, *captured).
ROUTES: list[tuple[tuple, dict[str, Callable]]] = [
    (('stacks',), {'GET': stacks.index, 'POST': stacks.create}),
    (('stacks', 'detail'), {'GET': lambda t, p: stacks.index(t, p, detail=True)}),
    (('stacks', 'preview'), {'POST': stacks.preview}),
    (('stacks', _, _), {'GET': stacks.show, 'PUT': stacks.update,
                        'PATCH': stacks.update_patch, 'DELETE': stacks.delete}),
    (('stacks', _, _, 'template'), {'GET': stacks.template}),
    (('stacks', _, _, 'environment'), {'GET': stacks.environment}),
    (('stacks', _, _, 'outputs'), {'GET': stacks.outputs}),
    (('stacks', _, _, 'outputs', _), {'GET': stacks.output}),
    (('stacks', _, _, 'resources'), {'GET': resources.index}),
    (('stacks', _, _, 'resources', _), {'GET': resources.show,
                                        'PATCH': resources.mark_unhealthy}),
    (('stacks', _, _, 'resources', _, 'metadata'), {'GET': resources.metadata}),
    (('stacks', _, _, 'resources', _, 'signal'), {'POST': resources.signal}),
    (('stacks', _, _, 'resources', _, 'events'), {'GET': resources.events}),
    (('stacks', _, _, 'resources', _, 'events', _), {'GET': resources.event}),
    (('stacks', _, _, 'events'), {'GET': resources.events}),
    (('stacks', _, _, 'events', _),
     {'GET': lambda t, p, n, i, e: resources.event(t, p, n, i, None, e)}),
    (('validate',), {'POST': catalogue.validate}),
    (('resource_types',), {'GET': catalogue.resource_types}),
    (('resource_types', _), {'GET': catalogue.resource_schema}),
    (('resource_types', _, 'template'), {'GET': catalogue.generate_template}),
    (('template_versions',), {'GET': catalogue.template_versions}),
    (('template_versions', _, 'functions'), {'GET': catalogue.template_functions}),
    (('build_info',), {'GET': catalogue.build_info}),
]


def _match(pattern: tuple, segments: list[str]) -> list[str] | None:
    if len(pattern) != len(segments):
        return None
    captured = []
    for expected, segment in zip(pattern, segments, strict=True):
        if expected is _:
            captured.append(segment)
        elif expected != segment:
            return None
    return captured


def _is_lookup(segments: list[str]) -> bool:
    """/stacks/{name} and /stacks/{name}/{resources,events,...}/...: by name."""
    if len(segments) < 2 or segments[0] != 'stacks' or segments[1] in ('detail', 'preview'):
        return False
    return len(segments) == 2 or segments[2] in stacks.REDIRECTED


def dispatch(method: str, tenant_id: str, segments: list[str], params: dict
             ) -> webob.Response:
    """The answer of ``method`` on /v1/{tenant_id}/{segments}."""
    if _is_lookup(segments):
        return stacks.lookup(tenant_id, params, segments[1], *segments[2:])
    for pattern, handlers in ROUTES:
        captured = _match(pattern, segments)
        if captured is None:
            continue
        handler = handlers.get('GET' if method == 'HEAD' else method)
        if handler is None:
            response = base.error_response(405, 'The method %s is not allowed on this '
                                           'resource.' % method)
            response.headers['Allow'] = ', '.join(sorted(handlers))
            return response
        return handler(tenant_id, params, *captured)
    return base.error_response(404, 'The resource could not be found.')


class V1Controller:
    """The Heat-compatible orchestration API."""

    @pecan.expose()
    def _route(self, args: list[str], request=None):
        return self.serve, args

    # Every Accept a client sends: the answer is a Response made here.
    @pecan.expose(content_type='application/json')
    @pecan.expose(content_type='text/plain')
    @pecan.expose()
    def serve(self, *args, **kwargs):
        """Every /v1 request (pecan hands over the path segments)."""
        segments = [a for a in args if a != '']
        if not segments:
            return base.error_response(404, 'A project is required: /v1/{tenant_id}/...')
        params = {key: pecan.request.GET.get(key) for key in pecan.request.GET}
        return dispatch(pecan.request.method, segments[0], segments[1:], params)
