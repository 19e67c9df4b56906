"""What the /v2 alarm controllers read from a request (body, q filters, limit,
sort, the project acted on) and how they answer a refusal: the OpenStack
error document, with the status of the project's exception."""

import functools
import json
from collections.abc import Callable
from typing import Any

import oslo_messaging as messaging
import pecan

from heat_watch.api import errors, middleware, policy
from heat_watch.api.policies import base as base_policies
from heat_watch.common import exceptions

# Alarms one listing reads at most (a page of the engine is 1000).
MAX_ALARMS = 10_000


class Refused(Exception):
    """A request this API answers with an OpenStack error document."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


def answers(func: Callable) -> Callable:
    """Our exceptions (and Refused) as {"error_message": ...} with their status."""
    @functools.wraps(func)
    def wrapped(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except Refused as refused:
            status, message = refused.status, str(refused)
        except exceptions.HeatWatchError as error:
            # .message: oslo.messaging rebuilds a remote error whose str()
            # carries the engine's traceback.
            status, message = errors.status_of(error), error.message
        except messaging.MessagingTimeout:
            status, message = 503, 'The watch engine did not answer in time.'
        pecan.response.status = status
        return middleware.fault(status, message)
    return wrapped


# -- request helpers --------------------------------------------------------------------


def body() -> Any:
    """The request's JSON body (400 unless JSON)."""
    try:
        return json.loads(pecan.request.body or b'null')
    except (ValueError, UnicodeDecodeError):
        raise Refused('The body is not valid JSON.') from None


def context_for(project_id: str):
    """The caller's context, acting on ``project_id`` (policy checked when
    it is not the caller's own project)."""
    request = pecan.request
    ctxt = request.context
    if project_id == ctxt.project_id:
        return ctxt
    policy.authorize(request.conf, ctxt, base_policies.ALL_PROJECTS,
                     {'project_id': project_id})
    other = ctxt.__class__.from_dict(ctxt.to_dict())
    other.project_id = project_id
    return other


def own_context():
    """The caller's context; 403 for a token scoped to no project."""
    ctxt = pecan.request.context
    if not ctxt.project_id:
        raise Refused('The token is scoped to no project.', 403)
    return ctxt


def queries() -> list[dict]:
    """The q.field/q.op/q.value/q.type filters (empty op: eq)."""
    params = pecan.request.GET
    fields, ops = params.getall('q.field'), params.getall('q.op')
    values, types = params.getall('q.value'), params.getall('q.type')
    if len(values) != len(fields):
        raise Refused('Every q.field needs its q.value.')
    found = []
    for index, field in enumerate(fields):
        op = (ops[index] if index < len(ops) else '') or 'eq'
        found.append({'field': field, 'op': op, 'value': values[index],
                      'type': types[index] if index < len(types) else ''})
    return found


def limit_param(default: int = MAX_ALARMS, maximum: int = MAX_ALARMS) -> int:
    """The limit parameter: a positive integer, at most ``maximum``."""
    text = pecan.request.GET.get('limit')
    if text in (None, ''):
        return default
    try:
        limit = int(text)
    except ValueError:
        raise Refused('limit must be an integer.') from None
    if limit <= 0:
        raise Refused('Limit must be positive.')
    return min(limit, maximum)


def sort_param(keys: dict[str, str], default: str) -> tuple[str, str]:
    """(engine key, asc|desc) of the first sort=key:dir parameter."""
    sorts = pecan.request.GET.getall('sort')
    if not sorts:
        return default, 'asc'
    key, _, direction = sorts[0].partition(':')
    direction = direction or 'asc'
    if key not in keys or direction not in ('asc', 'desc'):
        raise Refused('sort must be key:asc or key:desc, key one of %s.'
                      % ', '.join(keys))
    return keys[key], direction


def boolean(field: str, text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in ('true', '1', 'yes', 'on'):
        return True
    if lowered in ('false', '0', 'no', 'off'):
        return False
    raise Refused('q.field=%s takes true or false.' % field)
