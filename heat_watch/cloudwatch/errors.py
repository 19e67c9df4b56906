"""AWS errors of the CloudWatch-compatible API, and the one place that maps
heat_watch's own exceptions onto them.

Every error a CloudWatch client can see is an :class:`AWSError` with the code,
HTTP status and fault side (Sender/Receiver) that AWS documents. The protocol
codecs turn it into Query XML or JSON.
"""

from heat_watch.common import exceptions as exc


class AWSError(Exception):
    """An error answered to a CloudWatch client."""

    code = 'InternalFailure'
    status = 500
    sender_fault = False

    def __init__(self, message: str = ''):
        super().__init__(message)
        self.message = message


def _error(name: str, status: int, sender: bool = True) -> type[AWSError]:
    return type(name, (AWSError,), {
        'code': name, 'status': status, 'sender_fault': sender,
        '__doc__': 'AWS error %s (HTTP %d).' % (name, status)})


InvalidParameterValue = _error('InvalidParameterValue', 400)
MissingParameter = _error('MissingParameter', 400)
InvalidParameterCombination = _error('InvalidParameterCombination', 400)
InvalidNextToken = _error('InvalidNextToken', 400)
InvalidAction = _error('InvalidAction', 400)
InvalidQueryParameter = _error('InvalidQueryParameter', 400)
MalformedQueryString = _error('MalformedQueryString', 404)
ResourceNotFound = _error('ResourceNotFound', 404)
ResourceNotFoundException = _error('ResourceNotFoundException', 404)
LimitExceeded = _error('LimitExceeded', 400)
LimitExceededFault = _error('LimitExceededFault', 400)
InvalidFormat = _error('InvalidFormat', 400)
SerializationException = _error('SerializationException', 400)
UnknownOperationException = _error('UnknownOperationException', 400)
# Authentication, as AWS answers it.
MissingAuthenticationToken = _error('MissingAuthenticationToken', 403)
IncompleteSignature = _error('IncompleteSignature', 400)
InvalidClientTokenId = _error('InvalidClientTokenId', 403)
SignatureDoesNotMatch = _error('SignatureDoesNotMatch', 403)
RequestExpired = _error('RequestExpired', 400)
AccessDenied = _error('AccessDenied', 403)
# Our side.
InternalFailure = _error('InternalFailure', 500, sender=False)
ServiceUnavailable = _error('ServiceUnavailable', 503, sender=False)

_FROM_PROJECT = (
    (exc.InvalidParameterCombination, InvalidParameterCombination),
    (exc.MissingParameter, MissingParameter),
    (exc.LimitExceeded, LimitExceeded),
    (exc.Invalid, InvalidParameterValue),
    (exc.NotFound, ResourceNotFound),
    (exc.Conflict, InvalidParameterCombination),
    (exc.MissingAuthenticationToken, MissingAuthenticationToken),
    (exc.IncompleteSignature, IncompleteSignature),
    (exc.SignatureDoesNotMatch, SignatureDoesNotMatch),
    (exc.RequestExpired, RequestExpired),
    (exc.Forbidden, AccessDenied),
    (exc.AuthenticationFailed, InvalidClientTokenId),
    (exc.ServiceUnavailable, ServiceUnavailable),
)


def from_project_error(error: exc.HeatWatchError) -> AWSError:
    """The AWS error a client sees for one of heat_watch's own exceptions."""
    if isinstance(error, exc.InvalidNextToken):
        # The engine speaks of markers; AWS's clients of NextToken.
        return InvalidNextToken('The NextToken is invalid or has expired.')
    for project_class, aws_class in _FROM_PROJECT:
        if isinstance(error, project_class):
            return aws_class(str(error))
    return InternalFailure('The request processing has failed because of an '
                           'unknown error.')
