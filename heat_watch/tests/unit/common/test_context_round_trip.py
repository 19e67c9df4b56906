"""A request context keeps who asks across RPC (to_dict, then from_dict)."""

from heat_watch.common import context


def test_user_and_project_survive_the_round_trip():
    sent = context.RequestContext(project_id='p-1', user_id='u-1', roles=['member'],
                                  request_id='req-1')
    received = context.RequestContext.from_dict(sent.to_dict())
    assert (received.project_id, received.user_id, received.roles, received.request_id) \
        == ('p-1', 'u-1', ['member'], 'req-1')
