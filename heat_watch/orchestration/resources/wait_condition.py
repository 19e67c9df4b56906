"""Wait conditions: AWS::CloudFormation::WaitConditionHandle and
WaitCondition, OS::Heat::WaitConditionHandle and OS::Heat::WaitCondition.

A handle is a URL of the REST API pre-signed with a credential of its own
(:mod:`signed`). Whatever POSTs a signal to it (``{"Status": "SUCCESS" |
"FAILURE", "Reason", "UniqueId", "Data"}``; HOT's lower-case ``status``,
``reason``, ``id``, ``data`` too) has the signal kept in the signal store,
even while the stack is still being created: the condition waiting in the
same create reads them from there, not from the handle's data, so no lock
is needed. ``Count`` successes complete the condition; a FAILURE, or the
``Timeout``, fails it. Signals with the same UniqueId count once (the last
one wins), as in CloudFormation.
"""

from __future__ import annotations

import json
import shlex
import time
from typing import Any

from heat_watch.common import exceptions
from heat_watch.orchestration import properties as props
from heat_watch.orchestration import resource
from heat_watch.orchestration.resources import signed

SUCCESS, FAILURE = 'SUCCESS', 'FAILURE'
STATUSES = (SUCCESS, FAILURE)


def parse_signal(details: Any) -> dict:
    """A wait-condition signal in one shape (status, reason, id, data);
    Invalid when it is not one."""
    if details is None or details == {}:
        details = {}
    if not isinstance(details, dict):
        raise exceptions.Invalid(reason='A wait condition signal is a JSON object')
    lower = {str(k).lower(): v for k, v in details.items()}
    status = lower.get('status', SUCCESS)
    if not isinstance(status, str) or status.upper() not in STATUSES:
        raise exceptions.Invalid(reason='Status of a wait condition signal must be one of '
                                 '%s, not %r' % (', '.join(STATUSES), status))
    unique_id = lower.get('uniqueid', lower.get('id'))
    if unique_id is not None and not isinstance(unique_id, str | int):
        raise exceptions.Invalid(reason='UniqueId of a wait condition signal is a string')
    reason = lower.get('reason')
    return {'status': status.upper(), 'reason': '' if reason is None else str(reason),
            'id': None if unique_id is None else str(unique_id), 'data': lower.get('data')}


def tally(signals: list[Any]) -> dict[str, dict]:
    """Signals by UniqueId (the last of an id wins); a signal without one
    gets the next number, as Heat numbers them."""
    by_id: dict[str, dict] = {}
    for details in signals:
        try:
            signal = parse_signal(details)
        except exceptions.Invalid:
            continue  # refused at the API already; never counted
        key = signal['id'] or str(len(by_id) + 1)
        by_id[key] = signal
    return by_id


class _Handle(signed.SignedResource):
    """What both handles share: signals are kept, never acted on here."""

    # Signals are stored without the stack lock (the stack is usually still
    # being created when they arrive): see signals.SignalDispatcher.
    stores_signals = True

    @staticmethod
    def validate_signal(details: Any) -> None:
        """Invalid (400 at the API) for a body that is not a signal."""
        parse_signal(details)

    def handle_signal(self, details: Any) -> tuple[str, list[resource.Resource]]:
        signal = parse_signal(details)
        return ('Signal %s received%s' % (signal['status'],
                                          ': %s' % signal['reason'] if signal['reason']
                                          else ''), [])

    def signals(self) -> dict[str, dict]:
        """The signals received, by UniqueId."""
        pending = self.stack.runtime.signals.pending(self.stack.id, self.name)
        return tally([record.data for record in pending])


class WaitConditionHandle(_Handle):
    """AWS::CloudFormation::WaitConditionHandle: its Ref is the URL."""

    description = 'A pre-signed URL that signals a wait condition.'

    def get_reference_id(self) -> str:
        return self.signal_url() or self.name


class HeatWaitConditionHandle(_Handle):
    """OS::Heat::WaitConditionHandle: the URL (``endpoint``), a curl command
    line that signals it (``curl_cli``) and the ``signal`` map agents use."""

    description = 'A pre-signed URL that signals an OS::Heat::WaitCondition.'
    properties_schema = {
        'signal_transport': props.Property(props.STRING, 'How the handle is signalled '
                                           '(only a pre-signed URL is offered).',
                                           default='TOKEN_SIGNAL'),
    }
    attributes_schema = {
        'token': 'Not needed here: the endpoint is pre-signed (empty).',
        'endpoint': 'The pre-signed URL to POST a signal to.',
        'curl_cli': 'A curl command line that signals the handle (add --data-binary).',
        'signal': 'A map with the URL ("url") agents POST to.',
    }

    def resolve_attribute(self, name: str) -> Any:
        url = self.signal_url()
        if name == 'token':
            return ''
        if name == 'endpoint':
            return url
        if name == 'curl_cli':
            return ("curl -i -X POST -H 'Content-Type: application/json' "
                    "-H 'Accept: application/json' %s" % shlex.quote(url or ''))
        return {'url': url, 'token': ''}


class WaitCondition(resource.Resource):
    """AWS::CloudFormation::WaitCondition: waits for Count signals on its
    handle within Timeout seconds."""

    description = 'Waits for signals on a wait-condition handle.'
    handle_property, timeout_property, count_property = 'Handle', 'Timeout', 'Count'
    properties_schema = {
        'Handle': props.Property(props.STRING, 'The handle (its Ref).', required=True),
        'Timeout': props.Property(props.INTEGER, 'Seconds to wait.', required=True,
                                  min_value=1, max_value=43200),
        'Count': props.Property(props.INTEGER, 'Successes needed.', default=1, min_value=1),
    }
    attributes_schema = {'Data': 'The signals\' Data as a JSON map by UniqueId.'}

    def _handle(self) -> _Handle:
        wanted = self.properties[self.handle_property]
        for rsrc in self.stack.resources.values():
            if isinstance(rsrc, _Handle) and wanted in (rsrc.name, rsrc.physical_id,
                                                        rsrc.get_reference_id()):
                return rsrc
        raise exceptions.ResourceFailure(
            reason='%s %s names no wait condition handle of this stack'
            % (self.handle_property, wanted))

    def handle_create(self) -> float:
        self.physical_id = self.stack.physical_name(self.name)
        self.data['handle'] = self._handle().name
        return time.monotonic() + self.properties[self.timeout_property]

    def check_create_complete(self, deadline: float) -> bool:
        received = self._handle().signals()
        failures = [s for s in received.values() if s['status'] == FAILURE]
        if failures:
            raise exceptions.ResourceFailure(
                reason='WaitCondition received a FAILURE signal: %s'
                % '; '.join(s['reason'] or '(no reason)' for s in failures))
        successes = sum(1 for s in received.values() if s['status'] == SUCCESS)
        if successes >= self.properties[self.count_property]:
            return True
        if time.monotonic() >= deadline:
            raise exceptions.ResourceFailure(
                reason='WaitCondition timed out: %d of %d success signal(s) received'
                % (successes, self.properties[self.count_property]))
        return False

    def _data(self) -> str:
        handle = self._handle() if self.data.get('handle') else None
        received = handle.signals() if handle is not None else {}
        return json.dumps({key: s['data'] for key, s in received.items()})

    def resolve_attribute(self, name: str) -> Any:
        return self._data()


class HeatWaitCondition(WaitCondition):
    """OS::Heat::WaitCondition: handle, timeout, count; attribute data."""

    description = 'Waits for signals on an OS::Heat::WaitConditionHandle.'
    handle_property, timeout_property, count_property = 'handle', 'timeout', 'count'
    properties_schema = {
        'handle': props.Property(props.STRING, 'The handle (get_resource).', required=True),
        'timeout': props.Property(props.NUMBER, 'Seconds to wait.', required=True,
                                  min_value=0.01, max_value=43200),
        'count': props.Property(props.INTEGER, 'Successes needed.', default=1, min_value=1,
                                update_allowed=True),
    }
    attributes_schema = {'data': 'The signals\' data as a JSON map by id.'}
