"""The /v1 controllers' bounded memories: stack names by id, deleted stacks."""

from heat_watch.api.controllers.v1 import stacks


def _shown(stack_id: str, status: str = 'DELETE_COMPLETE') -> dict:
    return {'id': stack_id, 'stack_name': 'n-' + stack_id, 'stack_status': status}


def test_only_deleted_stacks_are_kept_per_project_and_by_their_name_or_id():
    deleted = stacks.DeletedStacks(size=10)
    deleted.remember('p', _shown('a'))
    deleted.remember('p', _shown('b', 'CREATE_COMPLETE'))
    deleted.remember('p', None)
    assert deleted.get('p', 'n-a', 'a') == _shown('a')
    assert deleted.get('p', 'a', 'a') == _shown('a')  # the id in the name's place
    assert deleted.get('p', 'other', 'a') is None  # the orchestrator's 404
    assert deleted.get('q', 'n-a', 'a') is None  # another project
    assert deleted.get('p', 'n-b', 'b') is None  # live stacks change: not kept


def test_the_oldest_go_first_past_the_bound():
    deleted, names = stacks.DeletedStacks(size=2), stacks.IdentityCache(size=2)
    for stack_id in ('a', 'b', 'c'):
        deleted.remember('p', _shown(stack_id))
        names.put('p', {'stack_id': stack_id, 'stack_name': 'n-' + stack_id})
    assert [deleted.get('p', 'n-' + i, i) is not None for i in 'abc'] == [False, True, True]
    assert [names.get('p', i) for i in 'abc'] == [None, 'n-b', 'n-c']
