"""The project's exception hierarchy.

Engines raise these; each API maps them once to its protocol's error format
(the CloudWatch API in ``heat_watch.cloudwatch.errors``). They cross RPC: the
module is listed in ``allowed_remote_exmods`` so that oslo.messaging rebuilds
them on the caller's side with the same class and message.
"""


class HeatWatchError(Exception):
    """Base of every error heat_watch raises on purpose."""

    msg_fmt = 'An unknown error occurred.'

    def __init__(self, message: str | None = None, **kwargs):
        self.kwargs = kwargs
        if message is None:
            try:
                message = self.msg_fmt % kwargs
            except (KeyError, TypeError):
                message = self.msg_fmt
        self.message = message
        super().__init__(message)

    def __str__(self) -> str:
        return self.message

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if cls.__name__.endswith('_Remote'):
            # oslo.messaging rebuilds a server's exception as such a subclass
            # whose str() appends the server's traceback; what an API shows a
            # client is the message alone (the server logged its traceback).
            cls.__str__ = HeatWatchError.__str__


class Invalid(HeatWatchError):
    """The request is malformed or names impossible values."""

    msg_fmt = 'Invalid input: %(reason)s'


class InvalidParameterValue(Invalid):
    """A parameter has a value outside what it accepts."""

    msg_fmt = 'The parameter %(name)s has an invalid value: %(reason)s'


class MissingParameter(Invalid):
    """A required parameter is absent."""

    msg_fmt = 'The parameter %(name)s is required.'


class InvalidParameterCombination(Invalid):
    """Parameters that may not be given together, or only together."""

    msg_fmt = '%(reason)s'


class InvalidNextToken(Invalid):
    """A pagination token (marker) that this service did not hand out."""

    msg_fmt = 'The pagination marker is invalid or has expired.'


class LimitExceeded(Invalid):
    """A quota or a per-request limit was exceeded."""

    msg_fmt = '%(reason)s'


class RequestTooLarge(LimitExceeded):
    """A request body is larger than the API accepts."""

    msg_fmt = 'The request body is larger than %(limit)d bytes.'


class InvalidTemplate(Invalid):
    """A stack template (or a provider template) is malformed: the message
    names the place in the template, e.g. ``resources.server.properties``."""

    msg_fmt = 'Invalid template: %(reason)s'


class InvalidParameter(Invalid):
    """A stack parameter value is missing, of the wrong type or outside its
    constraints; the message names the parameter."""

    msg_fmt = 'Invalid parameter: %(reason)s'


class InvalidEnvironment(Invalid):
    """A stack environment is malformed (an unknown section, a bad
    resource_registry entry)."""

    msg_fmt = 'Invalid environment: %(reason)s'


class NotFound(HeatWatchError):
    """The named object does not exist (or is not visible to the caller)."""

    msg_fmt = '%(kind)s %(name)s does not exist.'


class AlarmNotFound(NotFound):
    """The named alarm does not exist in the caller's project."""

    msg_fmt = 'Alarm %(name)s does not exist.'


class CredentialNotFound(NotFound):
    """No credential with this access key."""

    msg_fmt = 'Credential %(access)s does not exist.'


class Conflict(HeatWatchError):
    """The request conflicts with the current state."""

    msg_fmt = '%(reason)s'


class AuthenticationFailed(HeatWatchError):
    """The caller could not be authenticated."""

    msg_fmt = 'Authentication failed: %(reason)s'


class ServiceUnavailable(HeatWatchError):
    """A service this request needs did not answer."""

    msg_fmt = 'Service unavailable: %(reason)s'


class ConfigurationError(HeatWatchError):
    """The configuration cannot work; raised at start-up."""

    msg_fmt = 'Configuration error: %(reason)s'


class StackNotFound(NotFound):
    """No stack of this name or id in the caller's project."""

    msg_fmt = 'The Stack (%(stack_name)s) could not be found.'


class ResourceNotFound(NotFound):
    """The stack has no resource of this name."""

    msg_fmt = 'The Resource (%(resource_name)s) could not be found in Stack %(stack_name)s.'


class StackInProgress(Conflict):
    """The stack is in the middle of an operation."""

    msg_fmt = 'Stack %(stack_name)s already has an action (%(action)s) in progress.'


class StackLocked(Conflict):
    """Another operation holds the stack's lock (``engine_id`` in kwargs:
    the holder, not shown to users)."""

    msg_fmt = 'Stack %(stack_name)s is busy: another operation holds it.'


class StackExists(Conflict):
    """A stack of this name already exists in the project."""

    msg_fmt = 'The Stack (%(stack_name)s) already exists.'


class ResourceFailure(HeatWatchError):
    """A resource operation failed; the reason is recorded on the resource."""

    msg_fmt = '%(reason)s'


class SignatureError(AuthenticationFailed):
    """A request's signature is absent, malformed, expired or wrong."""

    msg_fmt = '%(reason)s'


class MissingAuthenticationToken(SignatureError):
    """The request carries no signature at all."""


class IncompleteSignature(SignatureError):
    """The signature is malformed, partial or of an unsupported kind."""


class SignatureDoesNotMatch(SignatureError):
    """The signature is not the one the secret gives."""


class RequestExpired(SignatureError):
    """The request's time is outside its validity window."""


class UnknownAccessKey(AuthenticationFailed):
    """No credential has this access key (or it was deleted)."""

    msg_fmt = 'The security token included in the request is invalid.'


class Forbidden(HeatWatchError):
    """The caller is known but may not do this (a credential's scope, policy)."""

    msg_fmt = '%(reason)s'


class DatabaseUnavailable(ServiceUnavailable):
    """The database cannot be reached (or refused to serve for now).

    Raised by the engines in place of the drivers' connection errors, so
    that it crosses RPC and the APIs answer 503 instead of a failure; the
    driver's message (hosts, statements) stays in the engine's log.
    """

    msg_fmt = 'The database is unavailable; try again later.'
