"""Client side of the orchestrator's RPC API.

The REST API (/v1, Heat's routes) talks to the orchestrator only through
:class:`OrchestratorClient`; each method maps one python-heatclient route.
``stack_ref`` is a stack's name or id, or (1.2) the identity a /v1 path
names, ``{'stack_name': ..., 'stack_id': ...}``. Records are those of
:mod:`heat_watch.orchestration.records` (times in epoch ms).

API version history:

* 1.0 - stacks (list, create, identify, show, preview, update/patch, delete,
  template, environment, outputs), resources (list, show, metadata, signal),
  events, validate, resource types, template versions and functions.
* 1.1 - cancel_stack (between orchestrators: a delete cancels the operation
  another one runs on the stack); list_stacks filters, marker, sort_dir;
  list_events nested_depth.
* 1.2 - ``stack_ref`` may be the identity a /v1 path names ({'stack_name',
  'stack_id'}: checked by the call itself, no identify_stack first);
  show_event; resource_mark_unhealthy.
* 1.3 - delete_stack returns the stack as show_stack shows it when the
  delete ended before the answer (None otherwise, and from 1.2 servers);
  a DELETE_COMPLETE stack shows no outputs (as in Heat).
"""

import oslo_messaging as messaging
from oslo_config import cfg

from heat_watch.common import context as hw_context
from heat_watch.common import rpc

TOPIC = 'heat-watch-orchestrator'
RPC_API_VERSION = '1.3'

GROUP = 'orchestration'
OPTS = [
    cfg.StrOpt('topic', default=TOPIC, help='RPC topic the orchestrators listen on.'),
    cfg.IntOpt('rpc_timeout', default=60, min=1,
               help='Seconds an API waits for the orchestrator to answer.'),
]


class OrchestratorClient:
    """Calls the orchestrator over RPC (one method per operation)."""

    def __init__(self, conf: cfg.ConfigOpts = cfg.CONF):
        target = messaging.Target(topic=conf.orchestration.topic, version=RPC_API_VERSION)
        self._client = rpc.get_client(target, conf, timeout=conf.orchestration.rpc_timeout)

    def _call(self, ctxt: hw_context.RequestContext, method: str, version: str = '1.0',
              **kwargs):
        if isinstance(kwargs.get('stack_ref'), dict):
            version = '1.2'  # an identity as stack_ref
        return self._client.prepare(version=version).call(ctxt, method, **kwargs)

    def list_stacks(self, ctxt, show_nested: bool = False, limit: int | None = None,
                    filters: dict | None = None, marker: str | None = None,
                    sort_dir: str = 'desc') -> list:
        """GET /stacks: the project's stacks, newest first by default;
        ``filters``: name, action, status (a value or a list each);
        ``marker``: the id of the last stack of the previous page."""
        return self._call(ctxt, 'list_stacks', version='1.1', show_nested=show_nested,
                          limit=limit, filters=filters, marker=marker, sort_dir=sort_dir)

    def create_stack(self, ctxt, stack_name: str, template, params: dict | None = None,
                     files: dict | None = None, environment=None,
                     args: dict | None = None) -> dict:
        """POST /stacks: validates, stores and starts creating; returns the
        identity. ``args``: disable_rollback, timeout_mins."""
        return self._call(ctxt, 'create_stack', stack_name=stack_name, template=template,
                          params=params, files=files, environment=environment, args=args)

    def identify_stack(self, ctxt, stack_ref: str) -> dict:
        """GET /stacks/{name}: the identity (for the redirect)."""
        return self._call(ctxt, 'identify_stack', stack_ref=stack_ref)

    def show_stack(self, ctxt, stack_ref: str | dict, resolve_outputs: bool = True) -> dict:
        """GET /stacks/{name}/{id}: the stack with parameters and outputs."""
        return self._call(ctxt, 'show_stack', stack_ref=stack_ref,
                          resolve_outputs=resolve_outputs)

    def preview_stack(self, ctxt, stack_name: str, template, params: dict | None = None,
                      files: dict | None = None, environment=None,
                      args: dict | None = None) -> dict:
        """POST /stacks/preview: what create would make."""
        return self._call(ctxt, 'preview_stack', stack_name=stack_name, template=template,
                          params=params, files=files, environment=environment, args=args)

    def update_stack(self, ctxt, stack_ref: str | dict, template=None, params: dict | None = None,
                     files: dict | None = None, environment=None, args: dict | None = None,
                     patch: bool = False) -> dict:
        """PUT (``patch`` False) or PATCH /stacks/{name}/{id}."""
        return self._call(ctxt, 'update_stack', stack_ref=stack_ref, template=template,
                          params=params, files=files, environment=environment, args=args,
                          patch=patch)

    def delete_stack(self, ctxt, stack_ref: str | dict) -> dict | None:
        """DELETE /stacks/{name}/{id}: starts deleting; the stack as shown
        when the delete already ended (a 1.3 orchestrator), else None."""
        return self._call(ctxt, 'delete_stack', stack_ref=stack_ref)

    def get_template(self, ctxt, stack_ref: str | dict) -> dict:
        """GET /stacks/{name}/{id}/template."""
        return self._call(ctxt, 'get_template', stack_ref=stack_ref)

    def get_environment(self, ctxt, stack_ref: str | dict) -> dict:
        """GET /stacks/{name}/{id}/environment."""
        return self._call(ctxt, 'get_environment', stack_ref=stack_ref)

    def list_outputs(self, ctxt, stack_ref: str | dict) -> list:
        """GET /stacks/{name}/{id}/outputs."""
        return self._call(ctxt, 'list_outputs', stack_ref=stack_ref)

    def show_output(self, ctxt, stack_ref: str | dict, output_key: str) -> dict:
        """GET /stacks/{name}/{id}/outputs/{key}."""
        return self._call(ctxt, 'show_output', stack_ref=stack_ref, output_key=output_key)

    def list_resources(self, ctxt, stack_ref: str | dict, nested_depth: int = 0) -> list:
        """GET /stacks/{name}/{id}/resources."""
        return self._call(ctxt, 'list_resources', stack_ref=stack_ref,
                          nested_depth=nested_depth)

    def show_resource(self, ctxt, stack_ref: str | dict, resource_name: str,
                      with_attr: list | None = None) -> dict:
        """GET /stacks/{name}/{id}/resources/{resource}."""
        return self._call(ctxt, 'show_resource', stack_ref=stack_ref,
                          resource_name=resource_name, with_attr=with_attr)

    def resource_metadata(self, ctxt, stack_ref: str | dict, resource_name: str):
        """GET /stacks/{name}/{id}/resources/{resource}/metadata."""
        return self._call(ctxt, 'resource_metadata', stack_ref=stack_ref,
                          resource_name=resource_name)

    def resource_signal(self, ctxt, stack_ref: str | dict, resource_name: str,
                        details=None) -> None:
        """POST /stacks/{name}/{id}/resources/{resource}/signal."""
        return self._call(ctxt, 'resource_signal', stack_ref=stack_ref,
                          resource_name=resource_name, details=details)

    def list_events(self, ctxt, stack_ref: str | dict, resource_name: str | None = None,
                    marker: str | None = None, limit: int | None = None,
                    sort_dir: str = 'asc', nested_depth: int = 0) -> list:
        """GET /stacks/{name}/{id}/events (and /resources/{resource}/events);
        ``nested_depth`` adds the events of nested stacks."""
        return self._call(ctxt, 'list_events', version='1.1', stack_ref=stack_ref,
                          resource_name=resource_name, marker=marker, limit=limit,
                          sort_dir=sort_dir, nested_depth=nested_depth)

    def show_event(self, ctxt, stack_ref: str | dict, event_id: str,
                   resource_name: str | None = None) -> dict | None:
        """GET /stacks/{name}/{id}[/resources/{resource}]/events/{event}: the
        event, or None when the stack (resource) has none of this id."""
        return self._call(ctxt, 'show_event', version='1.2', stack_ref=stack_ref,
                          event_id=event_id, resource_name=resource_name)

    def resource_mark_unhealthy(self, ctxt, stack_ref: str | dict, resource_name: str,
                                mark_unhealthy: bool,
                                resource_status_reason: str | None = None) -> None:
        """PATCH /stacks/{name}/{id}/resources/{resource}: CHECK_FAILED with
        the reason when ``mark_unhealthy``; a CHECK_FAILED resource back to
        CHECK_COMPLETE otherwise."""
        return self._call(ctxt, 'resource_mark_unhealthy', version='1.2',
                          stack_ref=stack_ref, resource_name=resource_name,
                          mark_unhealthy=mark_unhealthy,
                          resource_status_reason=resource_status_reason)

    def cancel_stack(self, ctxt, stack_id: str, engine_id: str, host: str) -> None:
        """Cast to one orchestrator (its own server): stop the operation it
        runs on a stack. Between orchestrators only (admin context)."""
        self._client.prepare(server=host, version='1.1').cast(
            ctxt, 'cancel_stack', stack_id=stack_id, engine_id=engine_id)

    def validate_template(self, ctxt, template, params: dict | None = None,
                          files: dict | None = None, environment=None) -> dict:
        """POST /validate."""
        return self._call(ctxt, 'validate_template', template=template, params=params,
                          files=files, environment=environment)

    def list_resource_types(self, ctxt) -> list:
        """GET /resource_types."""
        return self._call(ctxt, 'list_resource_types')

    def resource_schema(self, ctxt, type_name: str) -> dict:
        """GET /resource_types/{type}."""
        return self._call(ctxt, 'resource_schema', type_name=type_name)

    def list_template_versions(self, ctxt) -> list:
        """GET /template_versions."""
        return self._call(ctxt, 'list_template_versions')

    def list_template_functions(self, ctxt, version: str) -> list:
        """GET /template_versions/{version}/functions."""
        # Not through _call: its own ``version`` is the RPC API's.
        return self._client.prepare(version='1.0').call(ctxt, 'list_template_functions',
                                                        version=version)
