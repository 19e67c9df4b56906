"""Wait-condition signals: the shapes taken (CFN's and HOT's), the ones
refused, and how they count."""

import pytest

from heat_watch.common import exceptions
from heat_watch.orchestration.resources import wait_condition as wc


def test_cfn_and_hot_signals_read_the_same():
    cfn = wc.parse_signal({'Status': 'SUCCESS', 'Reason': 'up', 'UniqueId': 'i-1',
                           'Data': 'x'})
    hot = wc.parse_signal({'status': 'SUCCESS', 'reason': 'up', 'id': 'i-1', 'data': 'x'})
    assert cfn == hot == {'status': 'SUCCESS', 'reason': 'up', 'id': 'i-1', 'data': 'x'}


def test_an_empty_signal_is_a_success_without_id():
    assert wc.parse_signal({}) == {'status': 'SUCCESS', 'reason': '', 'id': None,
                                   'data': None}
    assert wc.parse_signal(None)['status'] == 'SUCCESS'


@pytest.mark.parametrize('body', [{'Status': 'MAYBE'}, {'Status': 3}, ['SUCCESS'],
                                  'SUCCESS', {'UniqueId': {'a': 1}}])
def test_bodies_that_are_not_signals_are_invalid(body):
    with pytest.raises(exceptions.Invalid):
        wc.parse_signal(body)


def test_signals_count_once_per_unique_id_and_unnamed_ones_are_numbered():
    tallied = wc.tally([{'Status': 'SUCCESS', 'UniqueId': 'a', 'Data': 1},
                        {'Status': 'FAILURE', 'UniqueId': 'a', 'Data': 2},
                        {'Status': 'SUCCESS', 'Data': 3},
                        {'Status': 'bogus'}])
    assert {k: (v['status'], v['data']) for k, v in tallied.items()} == {
        'a': ('FAILURE', 2), '2': ('SUCCESS', 3)}


def test_handles_validate_before_the_signal_is_kept():
    with pytest.raises(exceptions.Invalid):
        wc.WaitConditionHandle.validate_signal({'Status': 'nope'})
    wc.HeatWaitConditionHandle.validate_signal({'status': 'failure'})
    assert wc.WaitConditionHandle.stores_signals
