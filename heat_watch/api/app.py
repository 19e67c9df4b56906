"""The REST API's WSGI application: pecan and WSME behind oslo.middleware
and the auth middleware.

From the outside in: the common middleware of both APIs (request ids,
/healthcheck answered without authentication as load balancers probe it,
and the body-size limit, ``[api] max_request_body_size``), CORS, the
OpenStack error body,
the auth middleware (keystonemiddleware's auth_token, or noauth; GET /,
the versions document, goes around it), then the pecan application.
"""

import json
from collections.abc import Callable

import pecan
from oslo_config import cfg
from oslo_log import log
from oslo_middleware import cors

from heat_watch import api
from heat_watch.api import heat_faults, hooks, middleware, signed_urls, wsme_glue
from heat_watch.api.controllers import root
from heat_watch.common import middleware as common_middleware
from heat_watch.orchestration import rpcapi as orchestration_rpcapi
from heat_watch.watch import rpcapi

LOG = log.getLogger(__name__)

# Declared in the package (as Aodh does), so that listing them imports no WSGI stack.
GROUP = api.GROUP
OPTS = api.OPTS

AUTH_TOKEN_GROUP = 'keystone_authtoken'


def _auth(application, conf: cfg.ConfigOpts):
    if conf.api.auth_strategy == 'noauth':
        LOG.warning('The REST API runs with auth_strategy = noauth: every caller may act '
                    'as any project. This is unsafe for production.')
        return middleware.NoAuthMiddleware(application)
    # Imported here: keystonemiddleware registers its options on import.
    from keystonemiddleware import auth_token
    return auth_token.AuthProtocol(application, {'oslo_config_config': conf})


def refuse_too_large(environ: dict, start_response, max_body_size: int):
    """413 in the format of the path: Heat's under /v1, Ceilometer's elsewhere."""
    message = 'The request body is larger than %d bytes.' % max_body_size
    if heat_faults.is_heat_path(environ.get('PATH_INFO', '')):
        document = heat_faults.fault(413, message)
    else:
        document = {'error_message': {'faultstring': message, 'faultcode': 'Client'}}
    body = json.dumps(document).encode()
    start_response('413 Request Entity Too Large', [('Content-Type', 'application/json'),
                                                    ('Content-Length', str(len(body)))])
    return [body]


def _versions_unauthenticated(authenticated, controllers):
    """GET / (the versions document) answered without a token, as every
    OpenStack API does: clients read it to discover the API."""
    def dispatch(environ: dict, start_response):
        if environ.get('PATH_INFO', '') in ('', '/') and \
                environ.get('REQUEST_METHOD') in ('GET', 'HEAD'):
            return controllers(environ, start_response)
        return authenticated(environ, start_response)
    return dispatch


def pecan_app(conf: cfg.ConfigOpts, engine_client, orchestrator_client=None) -> pecan.Pecan:
    """The pecan application alone (controllers and hooks)."""
    return pecan.make_app(
        root.RootController(),
        hooks=[hooks.ConfigHook(conf), hooks.EngineHook(engine_client),
               hooks.OrchestratorHook(orchestrator_client),
               hooks.ContextHook(conf), wsme_glue.JSONBodyHook()],
        force_canonical=False, guess_content_type_from_ext=False)


def setup_app(conf: cfg.ConfigOpts, engine_client=None,
              orchestrator_client=None) -> Callable:
    """The complete WSGI application of the REST API."""
    engine_client = engine_client or rpcapi.WatchEngineClient(conf)
    orchestrator_client = (orchestrator_client
                           or orchestration_rpcapi.OrchestratorClient(conf))
    controllers = pecan_app(conf, engine_client, orchestrator_client)
    application = _versions_unauthenticated(_auth(controllers, conf), controllers)
    # Pre-signed URLs (scaling webhooks) authenticate themselves, before tokens.
    application = signed_urls.SignedURLMiddleware(application, conf,
                                                  orchestrator=orchestrator_client)
    application = middleware.ParsableErrorMiddleware(application)
    application = cors.CORS(application, conf)
    # Request ids, /healthcheck and the body-size limit, as the CloudWatch API.
    return common_middleware.wrap(application, conf, conf.api.max_request_body_size,
                                  refuse_too_large)
