"""Request context carried from the APIs to the engines over RPC."""

from oslo_context import context


class RequestContext(context.RequestContext):
    """Who asks: the project and user of an authenticated request.

    The watch engine scopes every read and write to ``project_id``; the APIs
    build the context only after authenticating the request.
    """

    @classmethod
    def from_dict(cls, values: dict) -> 'RequestContext':
        return cls(project_id=values.get('project_id'),
                   # oslo.context's to_dict writes the user as 'user'.
                   user_id=values.get('user_id') or values.get('user'),
                   request_id=values.get('request_id'),
                   is_admin=values.get('is_admin', False),
                   roles=values.get('roles', []))


def admin_context() -> RequestContext:
    """Context of the service itself (periodic tasks, manage commands)."""
    return RequestContext(is_admin=True, project_id=None)
