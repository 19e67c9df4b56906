"""The REST API's one mapping of the project's exceptions to HTTP statuses.

Errors leave the API as OpenStack APIs write them:
``{"error_message": {"faultstring": ..., "faultcode": "Client"|"Server"}}``
(see :mod:`heat_watch.api.middleware`).
"""

from heat_watch.common import exceptions

_STATUSES = (
    (exceptions.NotFound, 404),
    (exceptions.Conflict, 409),
    (exceptions.AuthenticationFailed, 401),
    (exceptions.Invalid, 400),
    (exceptions.ServiceUnavailable, 503),
)


def status_of(error: exceptions.HeatWatchError) -> int:
    """The HTTP status of one of our exceptions (500: a fault of ours)."""
    for kind, status in _STATUSES:
        if isinstance(error, kind):
            return status
    return 500


class PolicyNotAuthorized(exceptions.HeatWatchError):
    """The policy forbids this request to this caller."""

    msg_fmt = 'Policy does not allow %(action)s to be performed.'


_STATUSES = ((PolicyNotAuthorized, 403),) + _STATUSES
