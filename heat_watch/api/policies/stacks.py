"""Rules of the /v1 orchestration API, under Heat's own rule names (so an
operator's Heat policy overrides read the same here).

The target of every rule is the project named in the path
(``/v1/{tenant_id}/...``): ``admin_or_owner`` lets a member act only on its
own project's path, and an administrator on any.
"""

from oslo_policy import policy

_STACK = '/v1/{tenant_id}/stacks/{stack_name}/{stack_id}'
_RESOURCE = _STACK + '/resources/{resource_name}'


def _rule(name: str, description: str, path: str, method: str,
          check: str = 'rule:admin_or_owner') -> policy.DocumentedRuleDefault:
    return policy.DocumentedRuleDefault(name, check, description,
                                        [{'path': path, 'method': method}])


RULES = [
    _rule('stacks:index', 'List stacks.', '/v1/{tenant_id}/stacks', 'GET'),
    _rule('stacks:detail', 'List stacks in detail.', '/v1/{tenant_id}/stacks/detail', 'GET'),
    _rule('stacks:create', 'Create a stack.', '/v1/{tenant_id}/stacks', 'POST'),
    _rule('stacks:preview', 'Preview a stack.', '/v1/{tenant_id}/stacks/preview', 'POST'),
    _rule('stacks:lookup', 'Find a stack by name (redirect).',
          '/v1/{tenant_id}/stacks/{stack_identity}', 'GET'),
    _rule('stacks:show', 'Show a stack.', _STACK, 'GET'),
    _rule('stacks:update', 'Update a stack.', _STACK, 'PUT'),
    _rule('stacks:update_patch', 'Update a stack, keeping what is not given.', _STACK,
          'PATCH'),
    _rule('stacks:delete', 'Delete a stack.', _STACK, 'DELETE'),
    _rule('stacks:template', 'Show a stack\'s template.', _STACK + '/template', 'GET'),
    _rule('stacks:environment', 'Show a stack\'s environment.', _STACK + '/environment',
          'GET'),
    _rule('stacks:files', 'Show a stack\'s files.', _STACK + '/files', 'GET'),
    _rule('stacks:list_outputs', 'List a stack\'s outputs.', _STACK + '/outputs', 'GET'),
    _rule('stacks:show_output', 'Show one output.', _STACK + '/outputs/{output_key}', 'GET'),
    _rule('stacks:validate_template', 'Validate a template.', '/v1/{tenant_id}/validate',
          'POST'),
    _rule('stacks:list_resource_types', 'List resource types.',
          '/v1/{tenant_id}/resource_types', 'GET'),
    _rule('stacks:resource_schema', 'Show a resource type.',
          '/v1/{tenant_id}/resource_types/{type_name}', 'GET'),
    _rule('stacks:generate_template', 'A template of one resource type.',
          '/v1/{tenant_id}/resource_types/{type_name}/template', 'GET'),
    _rule('stacks:list_template_versions', 'List template versions.',
          '/v1/{tenant_id}/template_versions', 'GET'),
    _rule('stacks:list_template_functions', 'List a template version\'s functions.',
          '/v1/{tenant_id}/template_versions/{template_version}/functions', 'GET'),
    _rule('build_info:build_info', 'Show the build information.',
          '/v1/{tenant_id}/build_info', 'GET'),
    _rule('resource:index', 'List a stack\'s resources.', _STACK + '/resources', 'GET'),
    _rule('resource:show', 'Show a resource.', _RESOURCE, 'GET'),
    _rule('resource:metadata', 'Show a resource\'s metadata.', _RESOURCE + '/metadata',
          'GET'),
    _rule('resource:signal', 'Signal a resource.', _RESOURCE + '/signal', 'POST'),
    _rule('resource:mark_unhealthy', 'Mark a resource unhealthy (or healthy again).',
          _RESOURCE, 'PATCH'),
    _rule('events:index', 'List a stack\'s events.', _STACK + '/events', 'GET'),
    _rule('events:show', 'Show an event.', _RESOURCE + '/events/{event_id}', 'GET'),
]


def list_rules() -> list[policy.RuleDefault]:
    """The /v1 rules."""
    return RULES
