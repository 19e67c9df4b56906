"""StateReason and StateReasonData as AWS writes them, from the reason data
the watch engine records.

The engine records what decided a state (:func:`heat_watch.watch.evaluation.
evaluate`'s reason data, ``kind`` telling which rule decided; a composite
alarm's triggering children; an operator's SetAlarmState data). This module
words it as CloudWatch does: "Threshold Crossed: 2 out of the last 3
datapoints [...] were greater than the threshold (50.0) ..." and the
StateReasonData JSON with queryDate, startDate, recentDatapoints and
evaluatedDatapoints. Reason data stored before the engine recorded it this
way (no ``kind``) is shown as it was stored.
"""

import datetime
import functools
import json

_WORDING = {'GreaterThanOrEqualToThreshold': 'greater than or equal to',
            'GreaterThanThreshold': 'greater than', 'LessThanThreshold': 'less than',
            'LessThanOrEqualToThreshold': 'less than or equal to'}
_TREATED_AS = {'breaching': 'Breaching', 'notBreaching': 'NonBreaching',
               'missing': 'Missing', 'ignore': 'Ignore'}
_MAX_NAMED = 5


# The alarms of one Describe page share their period starts, so the
# formatted times repeat.
@functools.lru_cache(maxsize=4096)
def _iso_ms(stamp_ms: int) -> str:
    moment = datetime.datetime.fromtimestamp(stamp_ms // 1000, datetime.UTC)
    return moment.strftime('%Y-%m-%dT%H:%M:%S.') + f'{stamp_ms % 1000:03d}+0000'


def _iso(epoch_s: int) -> str:
    return _iso_ms(epoch_s * 1000)


@functools.lru_cache(maxsize=4096)
def _short_time(epoch: int) -> str:
    return datetime.datetime.fromtimestamp(epoch, datetime.UTC).strftime('%d/%m/%y %H:%M:%S')


def _point_text(point: list) -> str:
    return f'{float(point[1])!r} ({_short_time(point[0])})'


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _was(n: int) -> str:
    return 'was' if n == 1 else 'were'


def _number(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else f'{float(x):.3f}'


def _threshold(data: dict) -> str:
    n, m, fills = data['evaluation_periods'], data['datapoints_to_alarm'], data['fills']
    wording = _WORDING[data['comparison']]
    points = data['datapoints']
    if data['state'] == 'ALARM':
        listed, negation, minimum, transition = (
            [p for p in points if p[3]], '', m, 'OK -> ALARM')
    else:
        listed, negation, minimum, transition = (
            [p for p in points if not p[3]], 'not ', n - m + 1, 'ALARM -> OK')
    parts = []
    if listed:
        texts = ', '.join(_point_text(p) for p in listed)
        parts.append(f'{len(listed)} out of the last {n} datapoints [{texts}] '
                     f'{_was(len(listed))} {negation}{wording} the threshold '
                     f"({float(data['threshold'])!r})")
    if fills:
        parts.append(f"{_count(fills, 'missing datapoint')} {_was(fills)} treated as "
                     f"[{_TREATED_AS[data['missing_data']]}]")
    text = 'Threshold Crossed: ' + ' and '.join(parts)
    age = data.get('premature_age')
    if age is not None:
        text += ('; no datapoint has been within the threshold since the breaching one '
                 f"{_count(age, 'period')} ago")
    return text + f" (minimum {_count(minimum, 'datapoint')} for {transition} transition)."


def _no_data(data: dict) -> str:
    n = data['evaluation_periods']
    return (f"Threshold Crossed: no datapoints were received for {_count(n, 'period')} and "
            f"{_count(n, 'missing datapoint')} {_was(n)} treated as "
            f"[{_TREATED_AS[data['missing_data']]}].")


def _unknown(data: dict) -> str:
    count = data['fills']
    text = f"Insufficient Data: {_count(count, 'datapoint')} {_was(count)} unknown"
    if data['missing_data'] == 'missing':
        return text + '.'
    return text + '; missing data are ignored, so the alarm keeps its current state.'


def _low_sample(data: dict) -> str:
    low = [p for p in data['datapoints'] if p[4]]
    texts = ', '.join(_point_text(p) for p in low)
    return (f"Low Sample Count: {_count(len(low), 'datapoint')} [{texts}] {_was(len(low))} "
            f"computed from fewer than {_number(data['minimum_samples'])} samples, too few "
            f"for a significant {data['extended_statistic']}; the alarm keeps its current "
            'state.')


_REASONS = {'threshold': _threshold, 'no data': _no_data, 'unknown': _unknown,
            'low sample': _low_sample}


def _threshold_data(data: dict) -> dict:
    points, missing = data['datapoints'], data['missing']
    aws = {'version': '1.0', 'queryDate': _iso_ms(data['query_time']),
           'startDate': _iso(min([p[0] for p in points] + missing))}
    if data['statistic']:
        aws['statistic'] = data['statistic']
    else:
        aws['extendedStatistic'] = data['extended_statistic']
    entries = [(p[0], {'timestamp': _iso(p[0]), 'sampleCount': p[2], 'value': p[1]})
               for p in points]
    entries += [(start, {'timestamp': _iso(start)}) for start in missing]
    aws.update(period=data['period'], recentDatapoints=[p[1] for p in reversed(points)],
               threshold=data['threshold'],
               evaluatedDatapoints=[e for _, e in sorted(entries, key=lambda e: -e[0])])
    if data.get('unit'):
        aws['unit'] = data['unit']
    return aws


def _arn_of(reference: str, project_id: str, region: str) -> str:
    if reference.startswith('arn:'):
        return reference
    return 'arn:openstack:cloudwatch:%s:%s:alarm:%s' % (region, project_id, reference)


def _composite_child(child: dict, arn: str) -> str:
    if child['state'] is None:
        return f'{arn} does not exist (counted as INSUFFICIENT_DATA)'
    if child['timestamp'] is None:
        return f"{arn} is in {child['state']} state"
    when = datetime.datetime.fromtimestamp(child['timestamp'] / 1000, datetime.UTC)
    return f"{arn} transitioned to {child['state']} at " \
           f"{when.strftime('%A %d %B, %Y %H:%M:%S UTC')}"


def _composite(data: dict, project_id: str, region: str) -> tuple[str, dict]:
    children = data['triggering']
    arns = [_arn_of(c['name'], project_id, region) for c in children]
    entries = []
    for child, arn in zip(children, arns, strict=True):
        state = {'value': child['state'] or 'INSUFFICIENT_DATA'}
        if child['timestamp'] is not None:
            state['timestamp'] = _iso_ms(child['timestamp'])
        entries.append({'arn': arn, 'state': state})
    aws = {'triggeringAlarms': entries}
    if not children:
        return f"The alarm rule is {data['holds']} without any child alarm.", aws
    parts = [_composite_child(c, arn)
             for c, arn in list(zip(children, arns, strict=True))[:_MAX_NAMED]]
    if len(children) > _MAX_NAMED:
        parts.append(f'and {len(children) - _MAX_NAMED} more')
    return '; '.join(parts), aws


def render(reason: str, data: dict | None, project_id: str,
           region: str) -> tuple[str, str | None]:
    """(StateReason, StateReasonData JSON or None) of an engine reason."""
    if not isinstance(data, dict) or 'kind' not in data:
        return reason, None if data is None else json.dumps(data)
    kind = data['kind']
    if kind == 'created':
        return 'Unchecked: Initial alarm creation', None
    if kind == 'manual':
        given = data.get('data')
        return reason, None if given is None else json.dumps(given)
    if kind == 'composite':
        text, aws = _composite(data, project_id, region)
        return text, json.dumps(aws)
    wording = _REASONS.get(kind)
    if wording is None:
        return reason, json.dumps(data)
    return wording(data), json.dumps(_threshold_data(data))
