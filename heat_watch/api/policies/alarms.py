"""Rules of /v2/alarms and /v2/query/alarms.

A member reaches the alarms of its own project; an administrator reaches
another project's by naming it (q.field=project_id, or project_id in a
complex query's filter), as heat_watch:all_projects allows, and lists every
project's alarms (all_projects=true) as heat_watch:get_alarms:all_projects
allows (Aodh's telemetry:get_alarms:all_projects).
"""

from oslo_policy import policy

GET_ALARMS = 'heat_watch:get_alarms'
GET_ALL_ALARMS = 'heat_watch:get_alarms:all_projects'
GET_ALARM = 'heat_watch:get_alarm'
CREATE_ALARM = 'heat_watch:create_alarm'
CHANGE_ALARM = 'heat_watch:change_alarm'
DELETE_ALARM = 'heat_watch:delete_alarm'
GET_ALARM_STATE = 'heat_watch:get_alarm_state'
CHANGE_ALARM_STATE = 'heat_watch:change_alarm_state'
ALARM_HISTORY = 'heat_watch:alarm_history'
QUERY_ALARMS = 'heat_watch:query_alarms'
QUERY_ALARM_HISTORY = 'heat_watch:query_alarm_history'

_ONE = '/v2/alarms/{alarm_id}'

RULES = [
    policy.DocumentedRuleDefault(GET_ALARMS, 'rule:admin_or_owner', 'List alarms.',
                                 [{'path': '/v2/alarms', 'method': 'GET'}]),
    policy.DocumentedRuleDefault(GET_ALL_ALARMS, 'rule:context_is_admin',
                                 'List the alarms of every project (all_projects=true).',
                                 [{'path': '/v2/alarms', 'method': 'GET'}]),
    policy.DocumentedRuleDefault(GET_ALARM, 'rule:admin_or_owner', 'Read an alarm.',
                                 [{'path': _ONE, 'method': 'GET'}]),
    policy.DocumentedRuleDefault(CREATE_ALARM, 'rule:admin_or_owner', 'Create an alarm.',
                                 [{'path': '/v2/alarms', 'method': 'POST'}]),
    policy.DocumentedRuleDefault(CHANGE_ALARM, 'rule:admin_or_owner', 'Replace an alarm.',
                                 [{'path': _ONE, 'method': 'PUT'}]),
    policy.DocumentedRuleDefault(DELETE_ALARM, 'rule:admin_or_owner', 'Delete an alarm.',
                                 [{'path': _ONE, 'method': 'DELETE'}]),
    policy.DocumentedRuleDefault(GET_ALARM_STATE, 'rule:admin_or_owner',
                                 "Read an alarm's state.",
                                 [{'path': _ONE + '/state', 'method': 'GET'}]),
    policy.DocumentedRuleDefault(CHANGE_ALARM_STATE, 'rule:admin_or_owner',
                                 "Set an alarm's state.",
                                 [{'path': _ONE + '/state', 'method': 'PUT'}]),
    policy.DocumentedRuleDefault(ALARM_HISTORY, 'rule:admin_or_owner',
                                 "Read an alarm's history.",
                                 [{'path': _ONE + '/history', 'method': 'GET'}]),
    policy.DocumentedRuleDefault(QUERY_ALARMS, 'rule:admin_or_owner',
                                 'Find alarms with a complex query.',
                                 [{'path': '/v2/query/alarms', 'method': 'POST'}]),
    policy.DocumentedRuleDefault(QUERY_ALARM_HISTORY, 'rule:admin_or_owner',
                                 'Find alarm history with a complex query.',
                                 [{'path': '/v2/query/alarms/history', 'method': 'POST'}]),
]


def list_rules() -> list[policy.RuleDefault]:
    """The alarms rules."""
    return RULES
