"""http:// and https:// alarm actions: a JSON POST, as Aodh's REST notifier sends.

The body is what Aodh's and Ceilometer's HTTP receivers and Heat's
scaling-policy signal handler read; Heat acts only on ``current == 'alarm'``.
Each POST goes only where the network policy allows (netpolicy), to the
address it checked (pinned); a failure is recorded as a category (failures).
"""

import logging
import threading
import urllib.parse

import requests
from oslo_config import cfg
from oslo_log import log

from heat_watch.notifier import base, failures, netpolicy, pinned

LOG = log.getLogger(__name__)

GROUP = 'notifier'
OPTS = [
    cfg.FloatOpt('rest_timeout', default=10.0, min=0.1,
                 help='Seconds to wait for a webhook receiver to connect, '
                      'and then between bytes of its answer.'),
    cfg.BoolOpt('rest_verify_ssl', default=True,
                help='Verify the certificate of https:// receivers. Turn '
                     'off only for testing.'),
    cfg.StrOpt('rest_ca_file',
               help='CA bundle that https:// receivers\' certificates are '
                    'verified against; the system CAs when unset.'),
    cfg.StrOpt('rest_client_cert',
               help='Client certificate (PEM) presented to https:// '
                    'receivers; may also hold the key.'),
    cfg.StrOpt('rest_client_key',
               help='Private key (PEM) of rest_client_cert, when not in '
                    'that file.'),
]

ACTION_ID_HEADER = 'X-Heat-Watch-Action-Id'
REQUEST_ID_HEADER = 'x-openstack-request-id'
_STATE_NAMES = {'OK': 'ok', 'ALARM': 'alarm', 'INSUFFICIENT_DATA': 'insufficient data'}
_MAX_LOGGED = 500


class _RedactRequestLine(logging.Filter):
    """urllib3 logs each request's path and query, secrets included, at DEBUG."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(base.redact_url(arg) if isinstance(arg, str) and '?' in arg
                                else arg for arg in record.args)
        return True


logging.getLogger('urllib3.connectionpool').addFilter(_RedactRequestLine())


def state_name(state: str | None) -> str | None:
    """A CloudWatch state as Aodh spells it: 'INSUFFICIENT_DATA' -> 'insufficient data'."""
    if state is None:
        return None
    return _STATE_NAMES.get(state, state.lower().replace('_', ' '))


def build_body(payload: dict) -> dict:
    """The JSON body of the POST, from an alarm action payload."""
    return {
        'alarm_name': payload.get('alarm_name'),
        'alarm_id': payload.get('alarm_id'),
        'severity': payload.get('severity'),
        'previous': state_name(payload.get('previous')),
        'current': state_name(payload.get('current')),
        'reason': payload.get('reason'),
        'reason_data': payload.get('reason_data') or {},
        'project_id': payload.get('project_id'),
        'timestamp': payload.get('timestamp'),
    }


def classify_status(status: int) -> type[base.DeliveryError] | None:
    """None when ``status`` means delivered, else the error class it maps to.

    Timeouts (408), throttling (429) and server errors may pass; any other
    answer would be repeated. Redirects are not followed: a redirected POST
    would become a GET without a body.
    """
    if 200 <= status < 300:
        return None
    if status in (408, 429) or status >= 500:
        return base.RetryableError
    return base.PermanentError


def _retry_after(response: requests.Response) -> float | None:
    value = response.headers.get('Retry-After', '')
    try:
        return max(0.0, float(value))
    except ValueError:
        return None  # absent, or an HTTP date: the backoff decides


class RestNotifier(base.AlarmNotifier):
    """POSTs the alarm transition as JSON to http:// and https:// URLs."""

    #: Resolves action host names; the policy checks what it answers.
    resolver = staticmethod(netpolicy.resolve)

    def __init__(self, conf: cfg.ConfigOpts):
        super().__init__(conf)
        # requests.Session is not documented thread-safe: one per delivery thread.
        self._local = threading.local()

    def _session(self) -> requests.Session:
        session = getattr(self._local, 'session', None)
        if session is None:
            session = self._local.session = pinned.new_session()
        return session

    def _vet(self, url: str) -> netpolicy.Vetted:
        vetted = netpolicy.NetworkPolicy.from_conf(self.conf, self.resolver).check(url)
        if vetted is None:
            raise base.PermanentError('not an http(s) URL')
        return vetted

    def _tls_options(self) -> dict:
        opts = self.conf.notifier
        verify = (opts.rest_ca_file or True) if opts.rest_verify_ssl else False
        cert = opts.rest_client_cert
        if cert and opts.rest_client_key:
            cert = (cert, opts.rest_client_key)
        return {'verify': verify, 'cert': cert or None}

    @staticmethod
    def _headers(payload: dict, host: str) -> dict:
        headers = {'Content-Type': 'application/json', 'Host': host}
        if payload.get('action_id'):
            headers[ACTION_ID_HEADER] = str(payload['action_id'])
        if payload.get('request_id'):
            headers[REQUEST_ID_HEADER] = str(payload['request_id'])
        return headers

    def notify(self, action: urllib.parse.SplitResult, payload: dict) -> int:
        """POST the transition to an address the network policy allows;
        returns the receiver's 2xx status.

        Each address the host resolved to is tried in turn while the
        connection itself fails; redirects are not followed.
        """
        url = action.geturl()
        vetted = self._vet(url)
        failure = None
        for address in vetted.addresses:
            try:
                response = self._post(vetted, address, action, payload)
            except requests.RequestException as exc:
                LOG.info('POST to %s (%s) failed: %s', base.redact_url(url), address,
                         base.redact_text(str(exc), url)[:_MAX_LOGGED])
                failure = exc
                if failures.is_connect_failure(exc):
                    continue
                break
            except OSError as exc:  # a CA or client certificate file that cannot be read
                LOG.error('The notifier\'s TLS files cannot be read: %s', exc)
                raise base.PermanentError('TLS configuration error of the notifier') from None
            return self._answered(response, url)
        raise failures.classify(failure) from None

    def _post(self, vetted: netpolicy.Vetted, address: netpolicy.Address,
              action: urllib.parse.SplitResult, payload: dict) -> requests.Response:
        return self._session().post(
            pinned.request_url(vetted, address, action.path, action.query),
            json=build_body(payload), headers=self._headers(payload, vetted.target.host_header),
            timeout=self.conf.notifier.rest_timeout, allow_redirects=False,
            **self._tls_options())

    @staticmethod
    def _answered(response: requests.Response, url: str) -> int:
        with response:
            error_class = classify_status(response.status_code)
            if error_class is not None:
                reason = failures.status_reason(response.status_code)
                if 300 <= response.status_code < 400:
                    reason += ' (redirects are not followed: give the final URL)'
                raise error_class(reason, status=response.status_code,
                                  retry_after=_retry_after(response))
        LOG.debug('POST to %s answered %d', base.redact_url(url), response.status_code)
        return response.status_code
