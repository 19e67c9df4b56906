"""Server side of the watch engine's alarm RPC methods (see rpcapi)."""

import oslo_messaging as messaging
from oslo_config import cfg
from oslo_log import log

from heat_watch.common import alarms as hw_alarms
from heat_watch.common import exceptions, rpc
from heat_watch.notifier import netpolicy
from heat_watch.watch import composite, evaluator, queries, rpcapi
from heat_watch.watch.storage import alarms as alarm_storage
from heat_watch.watch.storage import metrics as metric_storage

LOG = log.getLogger(__name__)

METRIC_FIELDS = ('AlarmDescription', 'ActionsEnabled', 'OKActions', 'AlarmActions',
                 'InsufficientDataActions', 'MetricName', 'Namespace', 'Statistic',
                 'ExtendedStatistic', 'Dimensions', 'Period', 'Unit', 'EvaluationPeriods',
                 'DatapointsToAlarm', 'Threshold', 'ComparisonOperator', 'TreatMissingData',
                 'EvaluateLowSampleCountPercentile')
COMPOSITE_FIELDS = ('AlarmDescription', 'ActionsEnabled', 'OKActions', 'AlarmActions',
                    'InsufficientDataActions', 'AlarmRule')
ACTION_OUTCOMES = {'delivered': 'Successfully executed action %s',
                   'retrying': 'Retrying action %s',
                   'failed': 'Failed to execute action %s'}


def _project(ctxt) -> str:
    if not ctxt.project_id:
        raise exceptions.AuthenticationFailed(reason='the request carries no project')
    return ctxt.project_id


def check_actions(definition: dict, conf: cfg.ConfigOpts | None = None) -> None:
    """Refuse action URLs no notifier plugin can run and, given ``conf``,
    those the notifier's network policy forbids."""
    for field in evaluator.ACTION_FIELDS.values():
        urls = definition.get(field) or []
        hw_alarms.check_actions(field, urls)
        if conf is not None:
            for action in urls:
                netpolicy.check_alarm_action(conf, field, action)


@rpc.answers_project_errors
class AlarmManager:
    """RPC endpoint of the watch engine: alarms and their history."""

    target = messaging.Target(version=rpcapi.RPC_API_VERSION)

    def __init__(self, alarms: alarm_storage.AlarmStore, alarm_evaluator: evaluator.AlarmEvaluator,
                 region: str):
        self.alarms = alarms
        self.evaluator = alarm_evaluator
        self.region = region

    # -- configuration ---------------------------------------------------------

    def put_metric_alarm(self, ctxt, alarm: dict) -> dict:
        """Create or replace a metric alarm, then evaluate it at once."""
        project_id = _project(ctxt)
        check_actions(alarm, self.evaluator.conf)
        dims = metric_storage.canonical_dimensions(
            (d['Name'], d['Value']) for d in alarm.get('Dimensions') or [])
        key = metric_storage.metric_key(project_id, alarm['Namespace'], alarm['MetricName'],
                                        dims)
        stored, created = self.alarms.put(project_id, alarm_storage.METRIC, alarm, key)
        self.evaluator.watch(key)
        self.evaluator.evaluate_alarms([stored])
        return self._put_result(stored, created)

    def put_composite_alarm(self, ctxt, alarm: dict) -> dict:
        """Create or replace a composite alarm (no cycles), then evaluate it."""
        project_id = _project(ctxt)
        check_actions(alarm, self.evaluator.conf)
        children = composite.parse(alarm['AlarmRule']).alarm_names()
        self._refuse_cycle(project_id, alarm['AlarmName'], children)
        stored, created = self.alarms.put(project_id, alarm_storage.COMPOSITE, alarm, None)
        self.evaluator.evaluate_composites([stored])
        return self._put_result(stored, created)

    def _refuse_cycle(self, project_id: str, name: str, children: set[str]) -> None:
        rules = {a['name']: composite.parse(a['definition']['AlarmRule']).alarm_names()
                 for a in self.alarms.find(project_id, types=(alarm_storage.COMPOSITE,))}
        rules[name] = children
        seen, stack = set(), list(children)
        while stack:
            child = stack.pop()
            if child == name:
                raise exceptions.InvalidParameterValue(
                    name='AlarmRule', reason='the rule refers back to the alarm %s itself '
                    '(circular dependency).' % name)
            if child not in seen:
                seen.add(child)
                stack.extend(rules.get(child, ()))

    def _put_result(self, alarm: dict, created: bool) -> dict:
        return {'AlarmArn': evaluator.alarm_arn(self.region, alarm), 'AlarmId': alarm['id'],
                'Created': created}

    def delete_alarms(self, ctxt, names: list[str]) -> None:
        """Delete alarms (all named ones must exist)."""
        self.alarms.delete(_project(ctxt), names)

    def set_alarm_actions(self, ctxt, names: list[str], enabled: bool) -> None:
        """EnableAlarmActions / DisableAlarmActions."""
        self.alarms.set_actions_enabled(_project(ctxt), names, enabled)

    def set_alarm_state(self, ctxt, name: str, state: str, reason: str,
                        reason_data: str | None) -> None:
        """Set a state as a real transition; the next evaluation corrects it."""
        alarm = self.alarms.get(_project(ctxt), name)
        for _ in range(3):
            if self.evaluator.change_state(alarm, state, reason, reason_data) is not None:
                return
            alarm = self.alarms.get(_project(ctxt), name)
        raise exceptions.Conflict(reason='the alarm %s changes too often; try again' % name)

    # -- reads -------------------------------------------------------------------

    def _describe(self, alarm: dict) -> dict:
        definition = alarm['definition']
        fields = COMPOSITE_FIELDS if alarm['alarm_type'] == alarm_storage.COMPOSITE \
            else METRIC_FIELDS
        described = {field: definition[field] for field in fields
                     if definition.get(field) is not None}
        for field in evaluator.ACTION_FIELDS.values():
            described.setdefault(field, [])
        described.update({
            'AlarmName': alarm['name'], 'AlarmArn': evaluator.alarm_arn(self.region, alarm),
            'ActionsEnabled': bool(alarm['actions_enabled']),
            'AlarmConfigurationUpdatedTimestamp': alarm['configuration_updated_at'],
            'StateValue': alarm['state'], 'StateReason': alarm['state_reason'],
            'StateUpdatedTimestamp': alarm['state_updated_at'],
            'StateTransitionedTimestamp': alarm['state_transitioned_at']})
        if alarm['state_reason_data']:
            described['StateReasonData'] = alarm['state_reason_data']
        return described

    def describe_alarms(self, ctxt, args: dict) -> dict:
        """DescribeAlarms, ordered by name, paged by MaxRecords."""
        project_id = _project(ctxt)
        types = tuple(args.get('AlarmTypes') or (alarm_storage.METRIC,))
        names = args.get('AlarmNames') or None
        names = self._related(project_id, args, names)
        limit = args.get('MaxRecords') or 50
        after = _after_name(args.get('NextToken'))
        prefix = args.get('ActionPrefix')
        found, page_after = [], after
        # ActionPrefix filters outside SQL: keep reading until a page is full.
        while len(found) <= limit:
            rows = self.alarms.find(project_id, names=names, prefix=args.get('AlarmNamePrefix'),
                                    state=args.get('StateValue'), types=types,
                                    after_name=page_after, limit=limit + 1)
            if not rows:
                break
            page_after = rows[-1]['name']
            found.extend(a for a in rows if not prefix or self._has_action(a, prefix))
            if len(rows) <= limit:
                break
        answer = {'MetricAlarms': [], 'CompositeAlarms': []}
        for alarm in found[:limit]:
            kind = 'CompositeAlarms' if alarm['alarm_type'] == alarm_storage.COMPOSITE \
                else 'MetricAlarms'
            answer[kind].append(self._describe(alarm))
        if len(found) > limit:
            answer['NextToken'] = queries.encode_token({'name': found[limit - 1]['name']})
        return answer

    def _related(self, project_id: str, args: dict, names: list[str] | None):
        if args.get('ChildrenOfAlarmName'):
            parent = self.alarms.get(project_id, args['ChildrenOfAlarmName'])
            if parent['alarm_type'] != alarm_storage.COMPOSITE:
                return []
            return sorted(composite.parse(parent['definition']['AlarmRule']).alarm_names())
        if args.get('ParentsOfAlarmName'):
            child = args['ParentsOfAlarmName']
            return [a['name'] for a in self.alarms.find(
                project_id, types=(alarm_storage.COMPOSITE,))
                if child in composite.parse(a['definition']['AlarmRule']).alarm_names()]
        return names

    @staticmethod
    def _has_action(alarm: dict, prefix: str) -> bool:
        return any(action.startswith(prefix) for field in evaluator.ACTION_FIELDS.values()
                   for action in alarm['definition'].get(field) or [])

    def describe_alarms_for_metric(self, ctxt, args: dict) -> dict:
        """Metric alarms watching one metric (exact dimensions)."""
        project_id = _project(ctxt)
        dims = metric_storage.canonical_dimensions(
            (d['Name'], d['Value']) for d in args.get('Dimensions') or [])
        key = metric_storage.metric_key(project_id, args['Namespace'], args['MetricName'], dims)
        matches = []
        for alarm in self.alarms.for_metric_keys([key]):
            definition = alarm['definition']
            if all(args.get(f) is None or definition.get(f) == args[f]
                   for f in ('Statistic', 'ExtendedStatistic', 'Period', 'Unit')):
                matches.append(self._describe(alarm))
        return {'MetricAlarms': sorted(matches, key=lambda a: a['AlarmName'])}

    def describe_alarm_history(self, ctxt, args: dict) -> dict:
        """DescribeAlarmHistory, newest first unless ScanBy ascending."""
        limit = args.get('MaxRecords') or 100
        rows = self.alarms.history(
            _project(ctxt), name=args.get('AlarmName'),
            types=tuple(args.get('AlarmTypes') or (alarm_storage.METRIC,
                                                   alarm_storage.COMPOSITE)),
            item_type=args.get('HistoryItemType'), start=args.get('StartDate'),
            end=args.get('EndDate'), ascending=args.get('ScanBy') == 'TimestampAscending',
            after_id=queries.decode_token(args.get('NextToken'), 'after').get('after'),
            limit=limit + 1)
        answer = {'AlarmHistoryItems': [{
            'AlarmName': r.alarm_name, 'AlarmType': r.alarm_type, 'Timestamp': r.timestamp,
            'HistoryItemType': r.item_type, 'HistorySummary': r.summary,
            'HistoryData': r.data} for r in rows[:limit]]}
        if len(rows) > limit:
            answer['NextToken'] = queries.encode_token({'after': rows[limit - 1].id})
        return answer

    # -- the notifier's reports ------------------------------------------------------

    def record_action_result(self, ctxt, alarm_id: str, result: dict) -> None:
        """One delivery attempt of an action, as the notifier reports it."""
        alarm = self.alarms.get_by_id(alarm_id)
        if alarm is None:
            LOG.info('Action result for the deleted alarm %s dropped', alarm_id)
            return
        outcome = result.get('outcome')
        summary = ACTION_OUTCOMES.get(outcome, 'Action %s: ' + str(outcome)) % result.get('url')
        state = {'delivered': 'Succeeded', 'failed': 'Failed'}.get(outcome, 'InProgress')
        data = {'actionState': state, 'notificationResource': result.get('url'),
                'actionId': result.get('action_id'), 'attempt': result.get('attempt'),
                'status': result.get('status'), 'error': result.get('error')}
        self.alarms.add_history([alarm_storage.history_item(
            alarm, 'Action', summary, {k: v for k, v in data.items() if v is not None})])


def _after_name(token: str | None) -> str | None:
    state = queries.decode_token(token)
    if token and not isinstance(state.get('name'), str):
        raise exceptions.InvalidNextToken()
    return state.get('name')
