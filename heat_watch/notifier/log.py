"""log:// alarm actions: the transition written to the notifier's log."""

import urllib.parse

from oslo_log import log

from heat_watch.notifier import base

LOG = log.getLogger(__name__)


class LogNotifier(base.AlarmNotifier):
    """Logs the alarm transition at INFO.

    reason_data is left out: it is bulky, and the reason already says it
    in words. The action URL is logged redacted.
    """

    def notify(self, action: urllib.parse.SplitResult, payload: dict) -> None:
        """Write one log line; cannot fail."""
        LOG.info('Alarm %(name)s (%(id)s) of project %(project)s went from %(previous)s '
                 'to %(current)s (severity %(severity)s): %(reason)s [action %(action)s]',
                 {'name': payload.get('alarm_name'), 'id': payload.get('alarm_id'),
                  'project': payload.get('project_id'), 'previous': payload.get('previous'),
                  'current': payload.get('current'),
                  'severity': payload.get('severity') or 'unset',
                  'reason': payload.get('reason'),
                  'action': base.redact_url(action.geturl())})
