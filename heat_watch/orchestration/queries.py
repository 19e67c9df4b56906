"""The orchestrator's reads: stacks, outputs, resources, metadata, events,
templates, validation and the catalogue of types and template versions."""

from __future__ import annotations

from typing import Any

from heat_watch.common import exceptions
from heat_watch.orchestration import graph, prevalidation, records, resources, sealing, template
from heat_watch.orchestration.operations import Orchestrator
from heat_watch.orchestration.stack import Stack


def count(name: str, value: object, default: int | None = None) -> int | None:
    """A non-negative integer argument (given as a number or its text), or
    Invalid naming it."""
    if value is None:
        return default
    if isinstance(value, bool):
        raise exceptions.Invalid(reason='%s must be a non-negative integer' % name)
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise exceptions.Invalid(reason='%s must be a non-negative integer' % name)
    if number < 0 or (isinstance(value, float) and not value.is_integer()):
        raise exceptions.Invalid(reason='%s must be a non-negative integer' % name)
    return number


class Queries:
    """Read-only operations, scoped to the caller's project."""

    def __init__(self, orchestrator: Orchestrator):
        self.orchestrator = orchestrator
        self.runtime = orchestrator.runtime

    def list_stacks(self, project_id: str | None, show_nested: bool = False,
                    limit: int | None = None, filters: dict | None = None,
                    marker: str | None = None, sort_dir: str = 'desc') -> list[dict]:
        """The project's live stacks (nested ones too when asked), newest
        first unless ``sort_dir`` is 'asc'; see StackStore.list for filters."""
        if sort_dir not in ('asc', 'desc'):
            raise exceptions.Invalid(reason='sort_dir must be asc or desc')
        limit = count('limit', limit)
        if filters is not None and (not isinstance(filters, dict) or any(
                key not in ('name', 'action', 'status') or not isinstance(value, str | list)
                for key, value in filters.items())):
            raise exceptions.Invalid(reason='filters are name, action and status, each a '
                                            'value or a list of values')
        if marker is not None:
            self.orchestrator.find(project_id, marker)  # another project's: not found
        return [records.stack(r) for r in self.runtime.stacks.list(
            project_id, show_nested=show_nested, limit=limit, filters=filters,
            marker=marker, newest_first=sort_dir == 'desc')]

    def list_outputs(self, project_id: str, stack_ref: str | dict) -> list[dict]:
        """Output keys and descriptions."""
        record = self.orchestrator.find(project_id, stack_ref)
        stack = self.runtime.load(record)
        return [{'output_key': n, 'description': o.description or 'No description given'}
                for n, o in stack.bound.outputs().items()]

    def show_output(self, project_id: str, stack_ref: str | dict, key: str) -> dict:
        """One output with its value (or its error)."""
        record = self.orchestrator.find(project_id, stack_ref)
        for item in self.runtime.load(record).outputs():
            if item['output_key'] == key:
                return records.output(item)
        raise exceptions.NotFound(kind='Output', name=key)

    def get_template(self, project_id: str, stack_ref: str | dict) -> dict:
        """The stack's template as stored."""
        return self.orchestrator.find(project_id, stack_ref).template

    def get_environment(self, project_id: str, stack_ref: str | dict) -> dict:
        """The stack's environment as stored; hidden parameters' values
        shown as ``******``."""
        shown = dict(self.orchestrator.find(project_id, stack_ref).environment)
        for section in ('parameters', 'parameter_defaults'):
            if isinstance(shown.get(section), dict):
                shown[section] = {k: sealing.MASK if sealing.is_sealed(v) else v
                                  for k, v in shown[section].items()}
        return shown

    def list_resources(self, project_id: str, stack_ref: str | dict,
                       nested_depth: int = 0) -> list[dict]:
        """The stack's resources (and those of nested stacks to ``nested_depth``)."""
        record = self.orchestrator.find(project_id, stack_ref)
        return self._resources(record, count('nested_depth', nested_depth, 0))

    def _resources(self, record, nested_depth: int) -> list[dict]:
        rows = self.runtime.resources.list(record.id)
        required_by = graph.reversed_graph({r.name: set(r.requires) for r in rows})
        shown = [records.resource(r, record, sorted(required_by.get(r.name, ())))
                 for r in rows]
        if nested_depth > 0:
            for child in self.runtime.stacks.list(None, owner_id=record.id):
                shown.extend(self._resources(child, nested_depth - 1))
        return shown

    def show_resource(self, project_id: str, stack_ref: str | dict, name: str,
                      with_attr: list[str] | None = None) -> dict:
        """One resource, with its attributes."""
        record = self.orchestrator.find(project_id, stack_ref)
        row = self.runtime.resources.get(record.id, name, record.name)
        required_by = sorted(r.name for r in self.runtime.resources.list(record.id)
                             if name in r.requires)
        shown = records.resource(row, record, required_by)
        shown['metadata'] = row.rsrc_metadata
        shown['description'] = ''
        attributes = {}
        try:
            stack = self.runtime.load(record)
            rsrc = stack.resources.get(name)
            if rsrc is not None:
                for attr in list(rsrc.attributes_schema) + list(with_attr or []):
                    try:
                        attributes[attr] = rsrc.get_attribute(attr)
                    except exceptions.HeatWatchError as error:
                        attributes[attr] = str(error)
        except exceptions.HeatWatchError:
            pass
        shown['attributes'] = attributes
        return shown

    def resource_metadata(self, project_id: str, stack_ref: str | dict, name: str) -> Any:
        """A resource's metadata (what cfn-hup and cfn-init read)."""
        record = self.orchestrator.find(project_id, stack_ref)
        return self.runtime.resources.get(record.id, name, record.name).rsrc_metadata

    def list_events(self, project_id: str, stack_ref: str | dict, resource_name: str | None = None,
                    marker: str | None = None, limit: int | None = None,
                    sort_dir: str = 'asc', nested_depth: int = 0) -> list[dict]:
        """The stack's events (of one resource when named; with those of
        its nested stacks to ``nested_depth``), oldest first."""
        limit = count('limit', limit)
        nested_depth = count('nested_depth', nested_depth, 0)
        if sort_dir not in ('asc', 'desc'):
            raise exceptions.Invalid(reason='sort_dir must be asc or desc')
        record = self.orchestrator.find(project_id, stack_ref)
        if resource_name is not None and resource_name != record.name:
            self.runtime.resources.get(record.id, resource_name, record.name)
        stacks = {record.id: record}
        level = [record]
        for _ in range(max(0, nested_depth)):
            level = [child for parent in level for child in self.runtime.stacks.list(
                None, owner_id=parent.id, show_deleted=True)]
            stacks.update((child.id, child) for child in level)
        rows = self.runtime.events.list(list(stacks), resource_name, marker, limit,
                                        newest_first=sort_dir == 'desc')
        return [records.event(r, stacks[r.stack_id]) for r in rows]

    def show_event(self, project_id: str, stack_ref: str | dict, event_id: str,
                   resource_name: str | None = None) -> dict | None:
        """One event of the stack (of one resource when named) by its id, or
        None (the caller words the 404)."""
        record = self.orchestrator.find(project_id, stack_ref)
        if not isinstance(event_id, str):
            return None
        found = self.runtime.events.get(record.id, event_id, resource_name)
        return None if found is None else records.event(found, record)

    def validate(self, body: Any, params: dict | None = None, files: dict | None = None,
                 environment: Any = None, project_id: str | None = None) -> dict:
        """Heat's validate answer: Description, Parameters, ParameterGroups.
        The resources' properties are checked as create checks them (missing
        required, unknown, wrongly typed or out-of-constraint literal values:
        InvalidTemplate naming the resource and property); a value taken from
        a parameter without a value is not checked."""
        files = files or {}
        parsed = template.parse(body, files)
        env = template.parse_environment(environment)
        bound = parsed.bind(params or {}, env, template.StackIdentity(
            'validate', 'None', 'None', self.runtime.region), require_values=False)
        bound.validate(self.orchestrator.known_type(files))
        record = self.runtime.new_record(project_id or 'None', None, 'validate', parsed.raw,
                                         {}, files, {}, False, None)
        prevalidation.validate_properties(Stack(record, bound, env, self.runtime))
        shown = {'Description': parsed.description or 'No description',
                 'Parameters': parsed.parameter_schemas()}
        groups = parsed.parameter_groups()
        if groups:
            shown['ParameterGroups'] = groups
        return shown

    def list_resource_types(self) -> list[str]:
        """Every resource type, sorted."""
        return sorted(resources.types())

    def resource_schema(self, type_name: str) -> dict:
        """A type's properties and attributes."""
        if not resources.is_known(type_name):
            raise exceptions.NotFound(kind='Resource type', name=type_name)
        return resources.get(type_name).schema(type_name)

    def list_template_versions(self) -> list[dict]:
        """Every template version."""
        return template.versions()

    def list_template_functions(self, version: str) -> list[dict]:
        """The functions a template version offers."""
        return template.functions(version)

    def signal(self, project_id: str, stack_ref: str | dict, name: str, details: Any) -> None:
        """Keep a signal for a resource (wait conditions and scaling
        policies handle them; see the autoscaling resources)."""
        record = self.orchestrator.find(project_id, stack_ref)
        stored = self.runtime.resources.get(record.id, name, record.name)
        # A body its resource cannot take is refused before it is kept.
        validate = getattr(resources.types().get(stored.type), 'validate_signal', None)
        if validate is not None:
            validate(details)
        self.runtime.signals.add(record.id, name, details)
