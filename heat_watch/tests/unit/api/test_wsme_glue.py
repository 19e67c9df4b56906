"""heat_watch.api.wsme_glue: the pecan signature cache."""

from pecan import core as pecan_core
from pecan import routing as pecan_routing

from heat_watch.api import wsme_glue


class _Controller:
    def index(self, tenant_id, *path):
        return tenant_id, path


def test_a_controllers_signature_is_read_once_and_unchanged():
    calls = []

    def getargspec(method):
        calls.append(method)
        return pecan_core.getargspec.__wrapped__(method)

    cached = wsme_glue._cached_argspec(getargspec)
    first, second = _Controller(), _Controller()
    spec = cached(first.index)
    assert spec == pecan_core.getargspec.__wrapped__(first.index)
    assert spec.args == ['self', 'tenant_id'] and spec.varargs == 'path'
    # Another bound method of the same function: the same answer, not read again.
    assert cached(second.index) is spec and cached(_Controller.index) is spec
    assert len(calls) == 1
    assert wsme_glue._cached_argspec(cached) is cached  # installed once


def test_pecan_reads_signatures_through_the_cache():
    assert getattr(pecan_core.getargspec, '_heat_watch_cached', False)
    assert getattr(pecan_routing.getargspec, '_heat_watch_cached', False)
