"""Checking a stack's resource properties before anything is created, so
that a bad template is a 400 naming the place, not a failed stack."""

from heat_watch.common import exceptions
from heat_watch.orchestration import properties as props
from heat_watch.orchestration.resource import Resource
from heat_watch.orchestration.stack import Stack, ValidationContext


def validate_properties(stack: Stack) -> None:
    """Check every resource's properties before anything is created: unknown
    or missing properties, and wrongly typed literal values (values computed
    from other resources are checked when they are known)."""
    context = ValidationContext(stack)
    for name, definition in stack.definitions.items():
        rsrc = stack.resources[name]
        raw = definition.properties
        where = stack.properties_path(name)
        if raw is not None and not isinstance(raw, dict):
            raise exceptions.InvalidTemplate('%s: must be a map' % where)
        resolved = definition.resolved_properties(context) or {}
        literal = {key: value for key, value in resolved.items()
                   if not isinstance((raw or {}).get(key), dict | list)
                   or isinstance(value, dict | list) and value == (raw or {}).get(key)}
        schema = rsrc.properties_schema
        if not schema and type(rsrc).validate_properties is not Resource.validate_properties:
            rsrc.validate_properties(where, resolved)
            continue
        unknown = sorted(set(resolved) - set(schema))
        if unknown:
            raise exceptions.InvalidTemplate(
                '%s: Unknown Property %s' % (where, unknown[0]))
        missing = [key for key, prop in schema.items()
                   if prop.required and key not in (raw or {})]
        if missing:
            raise exceptions.InvalidTemplate(
                '%s.%s: Property %s not assigned' % (where, missing[0], missing[0]))
        checked = {key: value for key, value in literal.items() if value is not None}
        partial = {key: prop for key, prop in schema.items() if key in checked}
        props.validate(partial, checked, where)
        # Checks across properties (a group's member definition, its bounds).
        check = getattr(rsrc, 'check_literal_properties', None)
        if check is not None:
            check(where, checked)
