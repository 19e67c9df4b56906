"""The template half of the orchestration engine.

Parses CloudFormation and HOT templates and environments, binds them to
parameter values, and hands the engine typed resource and output
definitions whose remaining functions it resolves against the running
stack (``resolve`` with a ``ResolveContext``). Nothing here touches a
database or a resource.
"""

from heat_watch.orchestration.template.bound import (
                                                     BoundTemplate,
                                                     OutputDefinition,
                                                     ResourceDefinition,
                                                     StackIdentity,
)
from heat_watch.orchestration.template.catalogue import functions
from heat_watch.orchestration.template.catalogue import versions_list as versions
from heat_watch.orchestration.template.environment import (
                                                     Environment,
                                                     is_template_name,
                                                     parse_environment,
)
from heat_watch.orchestration.template.nodes import ResolveContext, resolve
from heat_watch.orchestration.template.template import Template, parse

__all__ = [
    'BoundTemplate', 'Environment', 'OutputDefinition', 'ResolveContext',
    'ResourceDefinition', 'StackIdentity', 'Template', 'functions', 'is_template_name',
    'parse', 'parse_environment', 'resolve', 'versions',
]
