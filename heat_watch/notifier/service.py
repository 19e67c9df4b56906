"""heat-watch-notifier: executes the alarm actions the watch engines send.

oslo.messaging acknowledges a notification only when the endpoint method
returns (None or HANDLED: ack; REQUEUE, or an exception: requeue). The
endpoint therefore delivers synchronously, retries included, and returns
HANDLED on success and on final failure alike: a requeued failure would
come straight back. It returns REQUEUE only when the service stops while
an action waits for its next attempt, so that another notifier takes it.

An action stays unacknowledged for its whole retry budget (about
max_attempts x rest_timeout plus the backoff delays): keep that well under
RabbitMQ's consumer_timeout (30 minutes by default), past which the broker
closes the channel and redelivers.
"""

import dataclasses
import queue
import threading
import time
import traceback
import urllib.parse
from collections.abc import Callable
from typing import Any

import oslo_messaging as messaging
from oslo_config import cfg
from oslo_log import log
from oslo_utils import timeutils

from heat_watch.common import rpc, service
from heat_watch.notifier import base, client, netpolicy, outcomes, retry

LOG = log.getLogger(__name__)

GROUP = 'notifier'
OPTS = [
    cfg.IntOpt('delivery_threads', default=16, min=1,
               help='Alarm actions one notifier delivers at once. '
                    'heat-watch-notifier also lets RabbitMQ hand it at most '
                    'this many unacknowledged actions (the default of '
                    '[oslo_messaging_rabbit] rabbit_qos_prefetch_count).'),
]

HANDLED = messaging.NotificationResult.HANDLED
REQUEUE = messaging.NotificationResult.REQUEUE
# oslo.messaging's AMQP driver sends the acks of a stopped listener from a
# thread that polls every millisecond and exits, with no last pass, when the
# listener is cleaned up (listener.wait()): give it time to send the final
# acks, rather than rely on the executor's slow thread shutdown for that.
_ACK_FLUSH_SECONDS = 0.1

Report = Callable[[Any, str, dict], None]


class ResultReporter:
    """Reports delivery results to the watch engine from a thread of its own,
    so that a slow or unreachable broker never holds up a delivery."""

    _STOP = object()

    def __init__(self, send: Report, max_queued: int = 10000):
        self._send = send
        self._queue: queue.Queue = queue.Queue(maxsize=max_queued)
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start the reporting thread."""
        self._thread = threading.Thread(target=self._run, name='action-results', daemon=True)
        self._thread.start()

    def report(self, ctxt, alarm_id: str, result: dict) -> None:
        """Queue one result; never blocks, never raises."""
        try:
            self._queue.put_nowait((ctxt, alarm_id, result))
        except queue.Full:
            LOG.warning('Dropped the result of alarm action %s: the watch engine '
                        'is not taking results', result.get('action_id'))

    def _run(self) -> None:
        while (item := self._queue.get()) is not self._STOP:
            ctxt, alarm_id, result = item
            try:
                self._send(ctxt, alarm_id, result)
            except Exception as exc:
                LOG.warning('Could not report the result of alarm action %s to the '
                            'watch engine: %s', result.get('action_id'), exc)

    def stop(self, timeout: float = 5.0) -> None:
        """Send what is queued, giving up after ``timeout`` seconds."""
        if self._thread is None:
            return
        try:
            self._queue.put(self._STOP, timeout=timeout)
        except queue.Full:
            pass
        self._thread.join(timeout)
        if self._thread.is_alive():
            LOG.warning('%d alarm action results were not reported', self._queue.qsize())
        self._thread = None


@dataclasses.dataclass(frozen=True)
class _Run:
    """One run of one alarm action, as received."""

    ctxt: Any
    payload: dict
    url: str
    safe_url: str

    @classmethod
    def received(cls, ctxt, payload: Any) -> '_Run':
        payload = payload if isinstance(payload, dict) else {}
        url = str(payload.get('action') or '')
        request_id = getattr(ctxt, 'request_id', None)
        if request_id:
            payload = dict(payload, request_id=request_id)
        return cls(ctxt, payload, url, base.redact_url(url))


class ActionEndpoint:
    """Notification endpoint: delivers each action with its retries, then
    returns so that oslo.messaging acknowledges it."""

    def __init__(self, plugins: base.NotifierRegistry, policy: retry.RetryPolicy,
                 report: Report):
        self._plugins = plugins
        self._policy = policy
        self._report = report
        self._stopping = threading.Event()
        self._idle = threading.Condition()
        self._in_flight = 0

    def info(self, ctxt, publisher_id: str, event_type: str, payload: dict,
             metadata: dict) -> str:
        """Deliver one alarm action; HANDLED to acknowledge it, REQUEUE to give it back."""
        if event_type != client.EVENT_TYPE:
            LOG.warning('Ignoring notification %s from %s', event_type, publisher_id)
            return HANDLED
        with self._idle:
            self._in_flight += 1
        try:
            if self._stopping.is_set():
                return REQUEUE
            return self._deliver(_Run.received(ctxt, payload))
        finally:
            with self._idle:
                self._in_flight -= 1
                self._idle.notify_all()

    def stop(self) -> None:
        """Take no new action; actions waiting to retry are given back."""
        self._stopping.set()

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Wait until no delivery is in progress."""
        with self._idle:
            return self._idle.wait_for(lambda: self._in_flight == 0, timeout)

    def _deliver(self, run: _Run) -> str:
        attempt = 1
        while True:
            try:
                status = self._attempt(run)
            except base.DeliveryError as exc:
                if not (isinstance(exc, base.RetryableError)
                        and self._policy.should_retry(attempt)):
                    self._record(run, attempt, 'failed', exc.status, str(exc))
                    return HANDLED
                self._record(run, attempt, 'retrying', exc.status, str(exc))
                if self._stopping.wait(self._policy.delay_before_retry(attempt,
                                                                        exc.retry_after)):
                    LOG.info('Stopping: alarm action %s goes back to the queue',
                             run.payload.get('action_id'))
                    return REQUEUE
                attempt += 1
            else:
                self._record(run, attempt, 'delivered', status, None)
                return HANDLED

    def _attempt(self, run: _Run) -> int | None:
        if not run.url:
            raise base.PermanentError('the alarm action has no URL')
        try:
            action = urllib.parse.urlsplit(run.url)
            return self._plugins.get(action.scheme).notify(action, run.payload)
        except base.DeliveryError:
            raise
        except ValueError:
            raise base.PermanentError('invalid action URL %s' % run.safe_url) from None
        except Exception as exc:
            # A plugin bug: reported once as a failure, not requeued forever.
            LOG.error('Alarm action %s failed unexpectedly:\n%s', run.payload.get('action_id'),
                      base.redact_text(traceback.format_exc(), run.url))
            raise base.PermanentError('unexpected error: %s' % type(exc).__name__) from None

    def _record(self, run: _Run, attempt: int, outcome: str, status: int | None,
                error: str | None) -> None:
        action_id, alarm_id = run.payload.get('action_id'), run.payload.get('alarm_id')
        level = log.INFO if outcome == 'delivered' else log.WARNING
        LOG.log(level, 'Alarm action %(id)s of alarm %(alarm)s to %(url)s: attempt %(n)d '
                '%(outcome)s%(detail)s',
                {'id': action_id, 'alarm': alarm_id, 'url': run.safe_url, 'n': attempt,
                 'outcome': outcome, 'detail': ' (%s)' % error if error else ''})
        if not alarm_id:
            return  # nothing in the watch engine to record it against
        result = {'action_id': action_id, 'url': run.safe_url, 'attempt': attempt,
                  'outcome': outcome, 'status': status, 'error': error,
                  'timestamp': timeutils.utcnow(with_timezone=True).isoformat()}
        try:
            self._report(run.ctxt, alarm_id, result)
        except Exception as exc:
            LOG.warning('Could not report the result of alarm action %s: %s', action_id, exc)


class NotifierService(service.Service):
    """heat-watch-notifier: listens for alarm actions and delivers them."""

    name = 'heat-watch-notifier'

    def __init__(self, conf: cfg.ConfigOpts, reporter: outcomes.OutcomeReporter | None = None,
                 report: Report | None = None):
        """``reporter`` receives each outcome (default: the watch engine,
        through its RPC client); ``report``, a plain function, may stand in
        for it."""
        netpolicy.validate(conf)
        self.conf = conf
        if reporter is None:
            reporter = outcomes.FunctionReporter(report) if report is not None \
                else outcomes.EngineOutcomeReporter(conf)
        self._reporter = ResultReporter(reporter.report)
        self._plugins = base.NotifierRegistry(conf)
        self._endpoint: ActionEndpoint | None = None
        self._listener: messaging.MessageHandlingServer | None = None

    def start(self) -> None:
        self._reporter.start()
        self._endpoint = ActionEndpoint(self._plugins, retry.RetryPolicy.from_conf(self.conf),
                                        self._reporter.report)
        # No pool: every notifier consumes from the one queue the sender
        # declares, so each action is delivered by one of them.
        self._listener = messaging.get_notification_listener(
            rpc.get_notification_transport(self.conf),
            [messaging.Target(topic=self.conf.notifier.topic)], [self._endpoint],
            executor='threading', serializer=rpc.ContextSerializer(), allow_requeue=True)
        self._listener.start(override_pool_size=self.conf.notifier.delivery_threads)
        LOG.info('Notifier %s listening for alarm actions on topic %s', self.conf.host,
                 self.conf.notifier.topic)

    def stop(self) -> None:
        """Stop taking actions, finish the attempts in progress, ack them."""
        if self._listener is None:
            return
        self._endpoint.stop()
        self._listener.stop()
        self._endpoint.wait_idle()
        time.sleep(_ACK_FLUSH_SECONDS)
        self._listener.wait()
        self._listener = None
        self._reporter.stop()
