"""Alarm notifier plugins: the base class, their loading by URL scheme, and
the redaction of the secrets webhook URLs carry.

A plugin is registered under the stevedore namespace ``heat_watch.notifier``
with the URL scheme it serves as its name (``log``, ``http``, ``https``).
"""

import abc
import threading
import urllib.parse

import stevedore
from oslo_config import cfg

from heat_watch.common import alarms, exceptions

NAMESPACE = alarms.NOTIFIER_NAMESPACE
MASK = '***'

# Query keys whose values are credentials: Heat's pre-signed URLs
# (AWSAccessKeyId, Signature), AWS SigV4 (X-Amz-*), and common token names.
_SECRET_KEYS = frozenset({
    'awsaccesskeyid', 'sig', 'key', 'apikey', 'api_key', 'api-key', 'passwd',
    'pwd', 'x-amz-credential', 'auth'})
_SECRET_SUFFIXES = ('signature', 'token', 'password', 'secret')


class DeliveryError(exceptions.HeatWatchError):
    """An action could not be delivered; ``status`` is the HTTP status, if any."""

    msg_fmt = '%(reason)s'

    def __init__(self, reason: str, status: int | None = None,
                 retry_after: float | None = None):
        super().__init__(reason=reason)
        self.status = status
        self.retry_after = retry_after


class RetryableError(DeliveryError):
    """The receiver may accept a later attempt (connection error, timeout,
    408, 429, 5xx); ``retry_after`` is the receiver's Retry-After, if any."""


class PermanentError(DeliveryError):
    """No later attempt can succeed (other 4xx, bad URL, untrusted certificate)."""


class AlarmNotifier(metaclass=abc.ABCMeta):
    """Executes alarm actions of one URL scheme.

    One instance serves every delivery thread, so ``notify`` must be
    thread-safe.
    """

    def __init__(self, conf: cfg.ConfigOpts):
        self.conf = conf

    @abc.abstractmethod
    def notify(self, action: urllib.parse.SplitResult, payload: dict) -> int | None:
        """Deliver one alarm action once.

        ``payload`` is the action's payload plus ``request_id``, the
        sender's request id, when it had one. Returns the receiver's status
        code (None when the scheme has none); raises RetryableError or
        PermanentError.
        """


# Defined once, where the APIs and the engine can read it too.
supported_schemes = alarms.supported_schemes


class NotifierRegistry:
    """Loads each scheme's plugin once, on first use, and keeps it."""

    def __init__(self, conf: cfg.ConfigOpts):
        self._conf = conf
        self._lock = threading.Lock()
        self._plugins: dict[str, AlarmNotifier] = {}

    def get(self, scheme: str) -> AlarmNotifier:
        """The plugin for ``scheme``; PermanentError when none is installed."""
        scheme = scheme.lower()
        with self._lock:
            if scheme not in self._plugins:
                self._plugins[scheme] = self._load(scheme)
            return self._plugins[scheme]

    def _load(self, scheme: str) -> AlarmNotifier:
        if scheme not in supported_schemes():
            raise PermanentError('unsupported action scheme %r (supported: %s)'
                                 % (scheme, ', '.join(sorted(supported_schemes()))))
        manager = stevedore.DriverManager(NAMESPACE, scheme, invoke_on_load=True,
                                          invoke_args=(self._conf,))
        return manager.driver


def _is_secret_key(key: str) -> bool:
    key = urllib.parse.unquote_plus(key).lower()
    return key in _SECRET_KEYS or key.endswith(_SECRET_SUFFIXES)


def _redact_pairs(text: str) -> str:
    # Rewrite only the secret values, leaving every other byte as it was.
    parts = []
    for pair in text.split('&'):
        key, sep, value = pair.partition('=')
        parts.append(key + sep + MASK if sep and value and _is_secret_key(key) else pair)
    return '&'.join(parts)


def _redact_netloc(netloc: str) -> str:
    userinfo, at, host = netloc.rpartition('@')
    if not at:
        return netloc
    user, colon, _password = userinfo.partition(':')
    return user + (':' + MASK if colon else '') + '@' + host


def redact_url(url: str) -> str:
    """``url`` with its userinfo password and secret query values masked.

    Safe for logs and for the alarm history; never raises.
    """
    url = str(url)
    try:
        parts = urllib.parse.urlsplit(url)
    except ValueError:
        return '<unparseable URL>'
    redacted = parts._replace(netloc=_redact_netloc(parts.netloc),
                              query=_redact_pairs(parts.query),
                              fragment=_redact_pairs(parts.fragment))
    if redacted == parts:
        return url
    text = urllib.parse.urlunsplit(redacted)
    if parts.scheme and not parts.netloc and url.lower().startswith(parts.scheme + '://'):
        text = text.replace(':', '://', 1)  # urlunsplit drops an empty authority
    return text


def _secret_values(url: str) -> set[str]:
    try:
        parts = urllib.parse.urlsplit(str(url))
    except ValueError:
        return set()
    raw = set()
    userinfo, at, _host = parts.netloc.rpartition('@')
    if at and ':' in userinfo:
        raw.add(userinfo.partition(':')[2])
    for pair in (parts.query + '&' + parts.fragment).split('&'):
        key, _sep, value = pair.partition('=')
        if value and _is_secret_key(key):
            raw.add(value)
    # Error texts may show a value as sent, decoded or re-encoded.
    forms = set()
    for value in raw:
        decoded = urllib.parse.unquote_plus(value)
        forms.update({value, decoded, urllib.parse.quote(decoded, safe=''),
                      urllib.parse.quote_plus(decoded)})
    return {form for form in forms if form}


def redact_text(text: str, url: str) -> str:
    """``text`` (an error message, a traceback) with the secrets of ``url``
    masked wherever they appear."""
    for secret in sorted(_secret_values(url), key=len, reverse=True):
        text = text.replace(secret, MASK)
    return text
