"""Rules the other rules are built from."""

from oslo_policy import policy

CONTEXT_IS_ADMIN = 'context_is_admin'
ALL_PROJECTS = 'heat_watch:all_projects'

RULES = [
    policy.RuleDefault(CONTEXT_IS_ADMIN, 'role:admin',
                       description='Who is an administrator of the service.'),
    policy.RuleDefault('admin_or_owner',
                       'rule:context_is_admin or project_id:%(project_id)s',
                       description='An administrator, or a member of the project '
                                   'that owns the target.'),
    policy.DocumentedRuleDefault(
        ALL_PROJECTS, 'rule:context_is_admin',
        'Read the data of every project (all_projects=true) or of another '
        'project (q.field=project_id), and write samples for another project.',
        [{'path': '/v2/meters', 'method': 'GET'},
         {'path': '/v2/meters/{meter_name}', 'method': 'GET'},
         {'path': '/v2/meters/{meter_name}', 'method': 'POST'},
         {'path': '/v2/meters/{meter_name}/statistics', 'method': 'GET'},
         {'path': '/v2/samples', 'method': 'GET'},
         {'path': '/v2/resources', 'method': 'GET'}]),
]


def list_rules():
    """The base rules."""
    return RULES
