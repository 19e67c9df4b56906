"""Units: AWS's, plus the names heat-cfntools' cfn-push-stats sends."""

import pytest

from heat_watch.cloudwatch import errors
from heat_watch.cloudwatch import validation as v


@pytest.mark.parametrize('given,stored', [
    ('Count', 'Count'), ('Counter', 'Count'), ('counter', 'Count'),
    ('megabytes', 'Megabytes'), ('Bytes/Second', 'Bytes/Second'), ('none', 'None'),
])
def test_unit_is_stored_as_the_aws_unit_it_names(given, stored):
    assert v.unit({'Unit': given}, 'Unit', 'Unit') == stored


def test_absent_unit_is_none():
    assert v.unit({}, 'Unit', 'Unit') is None


@pytest.mark.parametrize('given', ['Counters', 'Count ', '', 'Megabyte', 42])
def test_unknown_unit_is_invalid_parameter_value_naming_the_parameter(given):
    with pytest.raises(errors.InvalidParameterValue) as raised:
        v.unit({'Unit': given}, 'Unit', 'MetricData.member.1.Unit')
    assert 'MetricData.member.1.Unit' in str(raised.value)
