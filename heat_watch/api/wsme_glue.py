"""Every WSME and pecan quirk the REST API works around, in one place.

* :func:`wsexpose`: WSME turns any exception without an HTTP ``code`` into a
  500; ours are mapped here (once, by :mod:`heat_watch.api.errors`) before
  WSME sees them. The wrapper shows WSME and pecan the controller's
  signature, as WSME's own decorator would.
* :func:`client_error`: a WSME ClientSideError with its status code.
* :func:`unset_to_none`: WSME marks absent attributes with ``wsme.Unset``,
  which is neither None nor falsy-safe in arithmetic.
* :data:`Boolean`: WSME reads any text but a few as true ("perhaps" is
  true); this type takes only the usual spellings.
* :class:`JSONBodyHook`: WSME fails with a 500 when a body's JSON has
  another shape than the type (a number where an object is expected); the
  hook refuses such bodies first.
* :func:`_guarded_get_args`: WSME's argument parsing raises plain
  TypeError/ValueError/IndexError on input of the wrong shape (an object
  where a time is expected; ``q.field`` and ``q.type`` given a different
  number of times), which wsmeext answers with a 500; it only reads the
  client's input, so any such error is the client's: a 400.
* :func:`_cached_argspec`: pecan reads a controller's signature twice a
  request, and its ``getargspec`` makes a new namedtuple class each time
  (a tenth of a /v1 request's time); a controller's signature never
  changes, so it is read once per function.
"""

import functools
import inspect
import json
from collections.abc import Callable
from typing import Any

import oslo_messaging as messaging
import wsme
import wsme.rest.args
from oslo_log import log
from pecan import core as pecan_core
from pecan import hooks
from pecan import rest as pecan_rest
from pecan import routing as pecan_routing
from webob import exc as webob_exc
from wsme import exc as wsme_exc
from wsme import types as wtypes
from wsmeext import pecan as wsme_pecan

from heat_watch.api import errors
from heat_watch.common import exceptions

LOG = log.getLogger(__name__)


def client_error(message: str, status: int = 400) -> wsme_exc.ClientSideError:
    """A WSME error answered with ``status`` and ``message`` as faultstring."""
    return wsme_exc.ClientSideError(message, status_code=status)


def translate(error: Exception) -> Exception:
    """The WSME error of one of our exceptions (or of an RPC timeout)."""
    if isinstance(error, exceptions.HeatWatchError):
        return client_error(str(error), errors.status_of(error))
    if isinstance(error, messaging.MessagingTimeout):
        return client_error('The watch engine did not answer in time.', 503)
    return error


def wsexpose(*args, **kwargs) -> Callable:
    """wsmeext.pecan.wsexpose, with our exceptions mapped to HTTP errors."""
    expose = wsme_pecan.wsexpose(*args, **kwargs)

    def decorate(func):
        @functools.wraps(func)
        def translated(*call_args, **call_kwargs):
            try:
                return func(*call_args, **call_kwargs)
            except (exceptions.HeatWatchError, messaging.MessagingTimeout) as error:
                raise translate(error)
        # WSME reads the argument list from _wsme_original_func, pecan through
        # inspect.getfullargspec, which honours __signature__ (not __wrapped__).
        translated._wsme_original_func = func
        translated.__signature__ = inspect.signature(func)
        exposed = expose(translated)
        # functools.wraps copied __signature__ onto WSME's own wrapper too;
        # pecan's REST routing must see that wrapper's (self, *args, **kwargs)
        # or it takes every optional argument for a required path segment.
        del exposed.__signature__
        return exposed
    return decorate


def unset_to_none(value: Any) -> Any:
    """None for WSME's Unset marker, the value otherwise."""
    return None if value is wsme.Unset else value


_TRUE = ('true', '1', 'yes', 'on', 't', 'y')
_FALSE = ('false', '0', 'no', 'off', 'f', 'n', '')


class _Boolean(wtypes.UserType):
    """A boolean query parameter: true/false, 1/0, yes/no, on/off."""

    basetype = wtypes.text
    name = 'boolean'

    def frombasetype(self, value):
        if value is None or isinstance(value, bool):
            return value
        lowered = str(value).strip().lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
        raise ValueError('%r is not a boolean (true or false)' % value)


Boolean = _Boolean()


def _json_shape_error(data) -> str | None:
    """Why a JSON body cannot be a WSME object or list of objects."""
    if isinstance(data, dict):
        return None
    if isinstance(data, list):
        if all(isinstance(item, dict) for item in data):
            return None
        return 'The body must be a list of JSON objects.'
    return 'The body must be a JSON object or a list of JSON objects.'


class JSONBodyHook(hooks.PecanHook):
    """Refuse a JSON body that is not JSON, or not objects, and a form body
    that cannot be parsed, with a 400."""

    def on_route(self, state) -> None:
        """pecan's REST routing reads the form parameters (for _method): a
        malformed form body (a multipart body without a valid boundary)
        raises ValueError there, a 500 unless refused here."""
        try:
            _ = state.request.params
        except (ValueError, TypeError, KeyError, IndexError):
            raise webob_exc.HTTPBadRequest(detail='The request body cannot be parsed as '
                                           'its Content-Type says.', explanation='')

    def before(self, state) -> None:
        request = state.request
        if request.method not in ('POST', 'PUT', 'PATCH') or not request.body:
            return
        if request.content_type and 'json' not in request.content_type:
            return
        if request.path.rstrip('/').endswith('/state'):
            return  # a bare JSON string: the alarms controller reads it
        try:
            data = json.loads(request.body)
        except (ValueError, UnicodeDecodeError):
            reason = 'The body is not valid JSON.'
        else:
            reason = _json_shape_error(data)
        if reason:
            raise webob_exc.HTTPBadRequest(detail=reason, explanation='')


_PARSE_ERRORS = (TypeError, ValueError, IndexError, KeyError, AttributeError)


def _guard(get_args: Callable) -> Callable:
    if getattr(get_args, '_heat_watch_guarded', False):
        return get_args

    @functools.wraps(get_args)
    def _guarded_get_args(*args, **kwargs):
        try:
            return get_args(*args, **kwargs)
        except wsme_exc.ClientSideError:
            raise
        except _PARSE_ERRORS as error:
            raise client_error('The request does not have the expected shape: %s '
                               '(query parameters of one filter, e.g. q.field, q.op, '
                               'q.value, q.type, are given once per filter).' % error)
    _guarded_get_args._heat_watch_guarded = True
    return _guarded_get_args


# wsmeext.pecan looks get_args up on the module at every call.
wsme.rest.args.get_args = _guard(wsme.rest.args.get_args)


def _cached_argspec(getargspec: Callable) -> Callable:
    if getattr(getargspec, '_heat_watch_cached', False):
        return getargspec
    cache: dict[Any, Any] = {}

    @functools.wraps(getargspec)
    def _argspec(method):
        # Bound methods are made anew on each access; their function is not.
        key = getattr(method, '__func__', method)
        try:
            return cache[key]
        except KeyError:
            if len(cache) >= 4096:  # controllers are few; never grow unbounded
                cache.clear()
            spec = cache[key] = getargspec(method)
            return spec
        except TypeError:  # an unhashable callable
            return getargspec(method)
    _argspec._heat_watch_cached = True
    return _argspec


# pecan's modules imported the function by name: each binding is replaced.
for _module in (pecan_core, pecan_rest, pecan_routing):
    _module.getargspec = _cached_argspec(_module.getargspec)
