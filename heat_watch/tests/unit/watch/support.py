"""Alarm definitions for the watch engine's tests, as the engine takes them."""

from heat_watch.watch import model, rules


def threshold(name: str = 'high-cpu', project_id: str = 'p1', *, namespace: str = 'ns',
              metric_name: str = 'cpu', dimensions=(), unit: str | None = None,
              actions: dict | None = None, **fields) -> model.AlarmDefinition:
    """A threshold alarm definition; ``fields`` set rule or definition fields."""
    rule_fields = {'period': 60, 'evaluation_periods': 1, 'comparison': 'GreaterThanThreshold',
                   'threshold': 80.0, 'statistic': 'Average'}
    names = set(model.ThresholdRule.__dataclass_fields__)
    rule_fields.update({k: v for k, v in fields.items() if k in names})
    rest = {k: v for k, v in fields.items() if k not in names}
    rule = model.ThresholdRule(
        metric=model.MetricSelector(namespace, metric_name, tuple(dimensions), unit),
        **rule_fields)
    return model.AlarmDefinition(project_id=project_id, name=name, rule=rule,
                                 actions=actions or {}, **rest)


def composite(name: str, expression: str, project_id: str = 'p1',
              **fields) -> model.AlarmDefinition:
    """A composite alarm definition."""
    return model.AlarmDefinition(project_id=project_id, name=name,
                                 rule=model.CompositeRule(expression), **fields)


def put(store, definition: model.AlarmDefinition) -> dict:
    """Store a definition as the engine does; returns the stored alarm."""
    return store.put(definition, rules.get(definition.type).metric_key(definition))[0]
