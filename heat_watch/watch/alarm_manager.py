"""Server side of the watch engine's by-name alarm methods (see rpcapi).

Alarms addressed by name within the caller's project, as the CloudWatch API
(and Heat's AWS::CloudWatch::Alarm) address them; everything in the engine's
records. The id-based methods are :mod:`heat_watch.watch.alarm_records`.
"""

import oslo_messaging as messaging
from oslo_log import log

from heat_watch.common import rpc
from heat_watch.watch import alarm_records, rpcapi
from heat_watch.watch.storage import alarms as alarm_storage
from heat_watch.watch.storage import records

LOG = log.getLogger(__name__)

# An action history item's detail: the outcome as the notifier reported it.
ACTION_DETAIL = ('outcome', 'url', 'action_id', 'attempt', 'status', 'error')
ACTION_OUTCOMES = {'delivered': 'Successfully executed action %s',
                   'retrying': 'Retrying action %s',
                   'failed': 'Failed to execute action %s'}


@rpc.answers_project_errors
class AlarmManager:
    """RPC endpoint of the watch engine: alarms by name, and action outcomes."""

    target = messaging.Target(version=rpcapi.RPC_API_VERSION)

    def __init__(self, writes: alarm_records.AlarmWrites):
        self.writes = writes
        self.alarms = writes.alarms

    def put_alarm(self, ctxt, definition: dict) -> dict:
        """Create or replace an alarm by name (an AlarmDefinition, wire form;
        replacing keeps the state), then evaluate it at once. Returns
        {'alarm': Alarm, 'created': bool}."""
        project_id = rpc.project_of(ctxt)
        checked = self.writes.checked(project_id, dict(definition, id=None))
        alarm, created = self.writes.stored(checked)
        return {'alarm': records.alarm_of(alarm).to_wire(), 'created': created}

    def delete_alarms(self, ctxt, names: list[str]) -> None:
        """Delete alarms (all named ones must exist, else none is deleted)."""
        self.alarms.delete(rpc.project_of(ctxt), names)

    def set_alarm_actions(self, ctxt, names: list[str], enabled: bool) -> None:
        """Enable or disable the actions of named alarms."""
        self.alarms.set_actions_enabled(rpc.project_of(ctxt), names, enabled)

    def set_alarm_state(self, ctxt, name: str, state: str, reason: str,
                        reason_data: dict | None = None) -> dict:
        """Set a state as a real transition; the next evaluation corrects it.
        Returns the new AlarmState."""
        project_id = rpc.project_of(ctxt)
        alarm = self.alarms.get(project_id, name)
        updated = self.writes.set_state(project_id, alarm['id'], state, reason, reason_data)
        return records.state_of(updated).to_wire()

    def record_action_result(self, ctxt, alarm_id: str, result: dict) -> None:
        """One delivery attempt of an action, as the notifier reports it."""
        alarm = self.alarms.get_by_id(alarm_id)
        if alarm is None:
            LOG.info('Action result for the deleted alarm %s dropped', alarm_id)
            return
        outcome = result.get('outcome')
        summary = ACTION_OUTCOMES.get(outcome, 'Action %s: ' + str(outcome)) % result.get('url')
        data = {key: result.get(key) for key in ACTION_DETAIL}
        self.alarms.add_history([alarm_storage.history_item(
            alarm, 'Action', summary, {k: v for k, v in data.items() if v is not None})])
