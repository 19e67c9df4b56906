"""Heat's error body, for every error answer under /v1.

Heat (and python-heatclient, which reads ``error.message``) writes errors
as ``{"explanation", "code", "error": {"message", "traceback", "type"},
"title"}``; the /v2 routes keep the Ceilometer body of
:mod:`heat_watch.api.middleware`. The title and explanation of a status are
webob's, as in Heat.
"""

import re

from webob import exc as webob_exc

# /v1/{tenant_id}/... (the CloudWatch API's /v1 is another application).
V1_PATH = re.compile(r'^/v1(/|$)')


def is_heat_path(path: str) -> bool:
    """Whether an error on ``path`` is written in Heat's format."""
    return bool(V1_PATH.match(path or ''))


def fault(status: int, message: str, error_type: str | None = None) -> dict:
    """Heat's error document of ``status`` with ``message``."""
    kind = webob_exc.status_map.get(status, webob_exc.HTTPInternalServerError)
    return {'explanation': kind.explanation, 'code': status, 'title': kind.title,
            'error': {'message': message, 'traceback': None,
                      'type': error_type or kind.__name__}}


def is_fault(document) -> bool:
    """Whether ``document`` is already a Heat error body."""
    return (isinstance(document, dict) and isinstance(document.get('error'), dict)
            and 'explanation' in document and 'code' in document)
