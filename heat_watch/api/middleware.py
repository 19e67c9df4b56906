"""WSGI middleware of the REST API: the noauth identity and the OpenStack
error body.

The assembly of the whole pipeline (request ids, CORS, healthcheck, auth)
is in :mod:`heat_watch.api.app`.
"""

import html
import json
import re
from xml.etree import ElementTree

from oslo_log import log

from heat_watch.api import heat_faults

LOG = log.getLogger(__name__)

DEFAULT_PROJECT = 'admin'
_IDENTITY_HEADERS = ('X-Project-Id', 'X-User-Id', 'X-Roles', 'X-Identity-Status')
_TAGS = re.compile(r'<[^>]+>')


class NoAuthMiddleware:
    """``auth_strategy = noauth``: the caller says who it is.

    The project comes from X-Project-Id (default "admin"), the user from
    X-User-Id, the roles from X-Roles (default "admin" for the default
    project, "member" otherwise). Nothing is verified: for standalone use on
    a trusted network only.
    """

    def __init__(self, application):
        self.application = application

    def __call__(self, environ: dict, start_response):
        project = environ.get('HTTP_X_PROJECT_ID') or DEFAULT_PROJECT
        environ['HTTP_X_PROJECT_ID'] = project
        if not environ.get('HTTP_X_ROLES'):
            environ['HTTP_X_ROLES'] = 'admin' if project == DEFAULT_PROJECT else 'member'
        environ['HTTP_X_IDENTITY_STATUS'] = 'Confirmed'
        return self.application(environ, start_response)


def fault(status: int, message: str) -> dict:
    """The OpenStack error document."""
    return {'error_message': {'faultstring': message,
                              'faultcode': 'Client' if status < 500 else 'Server',
                              'debuginfo': None}}


def _faultstring(status: int, body: bytes, reason: str) -> dict:
    """The error document of an error answer, whatever wrote it: WSME (a
    fault dict, or its XML), keystonemiddleware ({"error": {"message"}}),
    pecan ({"title", "description"}) or webob (HTML or text)."""
    try:
        data = json.loads(body)
    except ValueError:
        data = None
    if isinstance(data, dict):
        if isinstance(data.get('error_message'), dict):
            return data
        if 'faultstring' in data:
            # WSME calls every ClientSideError a client fault, a 503 included.
            document = fault(status, str(data['faultstring']))
            document['error_message']['debuginfo'] = data.get('debuginfo')
            return document
        error = data.get('error')
        if isinstance(error, dict) and error.get('message'):
            return fault(status, str(error['message']))
        if data.get('description') or data.get('title'):  # pecan's JSON of an HTTP error
            return fault(status, str(data.get('description') or data['title']))
    text = body.decode('utf-8', 'replace')
    xml_fault = _wsme_xml_faultstring(text)
    if xml_fault:
        return fault(status, xml_fault)
    return fault(status, _plain(text) or reason)


def _wsme_xml_faultstring(text: str) -> str | None:
    """The faultstring of WSME's XML fault (asked for with Accept: XML)."""
    if not text.lstrip().startswith('<error>'):
        return None
    try:
        return ElementTree.fromstring(text).findtext('faultstring')
    except ElementTree.ParseError:
        return None


def _plain(text: str) -> str:
    """The words of an HTML or text error page (webob's pages repeat the
    status line in a title and a heading: keep the explanation)."""
    text = html.unescape(_TAGS.sub('\n', text))
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if len(lines) > 2 and lines[0] == lines[1]:
        lines = lines[2:]
    return ' '.join(lines)[:1000]


def _heat_document(status: int, body: bytes, message: str) -> dict:
    """Heat's error body (/v1): the /v1 controllers' own, or one made of
    the message another layer (auth, pecan, webob) wrote."""
    try:
        data = json.loads(body)
    except ValueError:
        data = None
    if heat_faults.is_fault(data):
        return data
    return heat_faults.fault(status, message)


class ParsableErrorMiddleware:
    """Every error answer (4xx, 5xx) leaves as the OpenStack JSON error body,
    whichever layer produced it: Heat's under /v1, Ceilometer's elsewhere."""

    def __init__(self, application):
        self.application = application

    def __call__(self, environ: dict, start_response):
        captured = {}

        def capture(status: str, headers: list, exc_info=None):
            captured['status'], captured['headers'] = status, headers
            code = int(status.split(None, 1)[0])
            if code < 400:
                return start_response(status, headers, exc_info)
            captured['exc_info'] = exc_info
            return lambda data: None

        logged = False
        try:
            chunks = self.application(environ, capture)
        except Exception:
            # A layer that raised instead of answering (keystonemiddleware
            # misconfigured, say): still a 500 in the API's format, logged
            # once, with the traceback.
            LOG.exception('Request %s %s failed', environ.get('REQUEST_METHOD'),
                          environ.get('PATH_INFO'))
            logged = True
            captured = {'status': '500 Internal Server Error', 'headers': []}
            chunks = [b'The server could not complete the request.']
        code = int(captured['status'].split(None, 1)[0])
        if code < 400:
            return chunks
        try:
            body = b''.join(chunks)
        finally:
            if hasattr(chunks, 'close'):
                chunks.close()
        reason = captured['status'].split(None, 1)[1] if ' ' in captured['status'] else ''
        document = _faultstring(code, body, reason)
        message = document['error_message']['faultstring']
        if heat_faults.is_heat_path(environ.get('PATH_INFO', '')):
            document = _heat_document(code, body, message)
        payload = json.dumps(document).encode()
        if code >= 500 and not logged:
            LOG.warning('Request %s %s answered %s: %s', environ.get('REQUEST_METHOD'),
                        environ.get('PATH_INFO'), captured['status'], message)
        headers = [(name, value) for name, value in captured['headers']
                   if name.lower() not in ('content-length', 'content-type')]
        headers += [('Content-Type', 'application/json'), ('Content-Length', str(len(payload)))]
        start_response(captured['status'], headers, captured.get('exc_info'))
        return [payload]

