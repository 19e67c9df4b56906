"""The hand-off of alarm actions from the watch engine to the notifiers.

Actions travel as oslo.messaging notifications, not RPC casts: a notifier
acknowledges the message only once the action was delivered or given up,
so a notifier that dies mid-delivery loses nothing (the broker redelivers).
Delivery is therefore at least once; receivers can deduplicate on the
``X-Heat-Watch-Action-Id`` header.
"""

import logging

import oslo_messaging as messaging
from oslo_config import cfg

from heat_watch.common import alarms, rpc
from heat_watch.common import context as hw_context
from heat_watch.notifier import base, netpolicy

GROUP = 'notifier'
OPTS = [
    cfg.StrOpt('topic', default='heat_watch_alarm_actions',
               help='Notification topic alarm actions travel on, from the '
                    'watch engines to the notifiers.'),
]

EVENT_TYPE = 'alarm.action'


class _RedactFailedPayload(logging.Filter):
    """oslo.messaging logs the whole payload, action URL and its secrets
    included, when it cannot publish a notification."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        message = args.get('message') if isinstance(args, dict) else None
        payload = message.get('payload') if isinstance(message, dict) else None
        if isinstance(payload, dict) and 'action' in payload:
            payload = dict(payload, action=base.redact_url(payload['action']))
            record.args = dict(args, message=dict(message, payload=payload))
        return True


logging.getLogger('oslo_messaging.notify.messaging').addFilter(_RedactFailedPayload())


# One definition of the payload, shared with the watch engine.
make_payload = alarms.action_payload


def _context(ctxt) -> hw_context.RequestContext:
    # oslo.messaging's Notifier drops a context given as a dict (it sends
    # {} instead): always hand it a RequestContext.
    if ctxt is None:
        return hw_context.RequestContext()
    if isinstance(ctxt, dict):
        return hw_context.RequestContext.from_dict(ctxt)
    return ctxt


class AlarmActionSender:
    """Publishes alarm actions for the notifiers (used by the watch engine).

    ``send`` returns once the broker has the message. Like every
    oslo.messaging notifier it does not raise when publishing fails: the
    driver logs the error ("Could not send notification"); with
    ``[oslo_messaging_notifications] retry = -1`` (the default) it keeps
    trying to reach the broker until it can publish.
    """

    def __init__(self, conf: cfg.ConfigOpts = cfg.CONF):
        # The engine that sends actions also checks them against the network
        # policy when alarms are created: a malformed policy stops it here.
        netpolicy.validate(conf)
        self._notifier = messaging.Notifier(
            rpc.get_notification_transport(conf),
            publisher_id='heat-watch-engine.%s' % conf.host,
            driver='messagingv2', topics=[conf.notifier.topic],
            serializer=rpc.ContextSerializer())

    def send(self, ctxt, payload: dict) -> None:
        """Hand one action to the notifiers; ``payload`` as make_payload builds it.

        ``ctxt`` is a RequestContext (or its dict); its request_id reaches
        the receiver as x-openstack-request-id.
        """
        self._notifier.info(_context(ctxt), EVENT_TYPE, payload)
