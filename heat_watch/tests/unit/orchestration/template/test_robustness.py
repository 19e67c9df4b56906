"""Random templates, built from the functions' own names with arguments of
every shape: parsing, binding, validating and resolving raise the project's
errors (a 400 for the APIs) and nothing else."""

import random

import pytest

from heat_watch.common import exceptions
from heat_watch.orchestration import template as tpl
from heat_watch.orchestration.template import formats
from heat_watch.tests.unit.orchestration.template.helpers import IDENTITY, Stack

NAMES = sorted(formats.HOT_KNOWN_FUNCTIONS | formats.CFN_KNOWN_FUNCTIONS
               | {'equals', 'not', 'and', 'or', 'if', 'Condition', 'Fn::Sub'})
WORDS = ['p', 'q', 'r1', 'r2', 'c1', 'missing', 'f.yaml', 'sha256', 'template', 'params',
         'for_each', 'keys', 'values', 'host', '<%x%>', 'Sizes', 'small', '']


def snippet(rng: random.Random, depth: int, names: list[str]) -> object:
    """A random snippet; function names mostly from ``names`` (what the
    place allows), sometimes from anywhere."""
    roll = rng.random()
    if depth <= 0 or roll < 0.3:
        return rng.choice([*WORDS, 0, 1, -1, 2.5, True, False, None])
    if roll < 0.6:
        name = rng.choice(names if rng.random() < 0.95 else NAMES)
        return {name: snippet(rng, depth - 1, names)}
    if roll < 0.8:
        return [snippet(rng, depth - 1, names) for _ in range(rng.randint(0, 4))]
    return {rng.choice(WORDS): snippet(rng, depth - 1, names)
            for _ in range(rng.randint(0, 3))}


def template(rng: random.Random) -> dict:
    cfn = rng.random() < 0.3
    version = formats.CFN_2010 if cfn else rng.choice(list(formats.HOT_VERSIONS.values()))
    # the refused functions stop everything at parse time: rarely chosen
    functions = sorted(version.functions - {'resource_facade', 'Fn::ResourceFacade', 'yaql'})
    conditions = sorted(version.condition_functions - {'yaql'}) or functions

    def value(depth: int) -> object:
        return snippet(rng, depth, functions)

    def condition(depth: int) -> object:
        return snippet(rng, depth, conditions)

    if cfn:
        return {'AWSTemplateFormatVersion': '2010-09-09',
                'Parameters': {'p': {'Type': 'String', 'Default': 'a,b'},
                               'q': {'Type': 'CommaDelimitedList', 'Default': 'a,b'}},
                'Mappings': {'Sizes': {'small': {'n': 1}}},
                'Conditions': {'c1': condition(3)},
                'Resources': {'r1': {'Type': 'A', 'Properties': {'x': value(4)}},
                              'r2': {'Type': 'A', 'Condition': 'c1',
                                     'Metadata': {'m': value(3)}}},
                'Outputs': {'o': {'Value': value(4)}}}
    return {'heat_template_version': version.date,
            'parameters': {'p': {'type': 'string', 'default': 'a,b'},
                           'q': {'type': 'comma_delimited_list', 'default': 'a,b'}},
            'conditions': {'c1': condition(3)},
            'resources': {'r1': {'type': 'A', 'properties': {'x': value(4)}},
                          'r2': {'type': 'A', 'condition': 'c1',
                                 'metadata': {'m': value(3)}}},
            'outputs': {'o': {'value': value(4)}}}


def run(body: dict) -> None:
    parsed = tpl.parse(body, {'f.yaml': 'content'})
    bound = parsed.bind({}, None, IDENTITY)
    bound.validate(lambda name: True)
    stack = Stack({'r1': {'x': [1, {'k': 'v'}]}, 'r2': {}})
    for definition in bound.resources().values():
        definition.resolved_properties(stack)
        definition.resolved_metadata(stack)
    for output in bound.outputs().values():
        output.resolve(stack)


@pytest.mark.parametrize('seed', range(12))
def test_random_templates_raise_only_project_errors(seed):
    rng = random.Random(seed)
    outcomes = {'ok': 0, 'refused': 0}
    for _ in range(100):
        body = template(rng)
        if formats.HOT_VERSION_KEY in body and body['heat_template_version'] < '2016-10-14':
            del body['conditions']
            del body['resources']['r2']['condition']
        try:
            run(body)
            outcomes['ok'] += 1
        except exceptions.HeatWatchError:
            outcomes['refused'] += 1
        except Exception as error:   # noqa: BLE001 (the point of the test)
            pytest.fail(f'{type(error).__name__}: {error} for {body!r}')
    # Both kinds occur: the generator makes valid templates as well as broken ones.
    assert outcomes['ok'] > 0 and outcomes['refused'] > 0, outcomes
