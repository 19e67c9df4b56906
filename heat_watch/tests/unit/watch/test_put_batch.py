"""put_metric_batch on a real SQLite store: the items of one coalesced RPC
share a commit, and each item's failure stays its own."""

import msgspec
import oslo_messaging as messaging
import pytest
import sqlalchemy as sa

from heat_watch.common import context, exceptions
from heat_watch.watch import ingest, manager
from heat_watch.watch.storage import metrics as metric_storage


def _metrics(name: str, value: float, count=1.0) -> list:
    return [[name, [['Host', 'h']], [[1000, 'None', 60, count, value, value, value, True,
                                      None]]]]


def _stored(engine) -> dict:
    table, registry = metric_storage.DATAPOINTS, metric_storage.METRICS
    with engine.connect() as conn:
        return {(row.project_id, row.metric_name): row.sum for row in conn.execute(
            sa.select(registry.c.project_id, registry.c.metric_name, table.c.sum).join(
                table, table.c.metric_id == registry.c.id))}


def _call(endpoint, items: list, packed: bool) -> list:
    """put_metric_batch with ``items`` as 3.0 sends them, or packed as 3.2 does."""
    if packed:
        return endpoint.put_metric_batch(context.RequestContext(),
                                         packed=msgspec.json.encode(items).decode())
    return endpoint.put_metric_batch(context.RequestContext(), items)


@pytest.mark.parametrize('packed', [False, True], ids=['items', 'packed'])
def test_each_item_of_a_batch_lands_in_its_own_project_or_fails_alone(watch_engine, packed):
    store = metric_storage.MetricStore(watch_engine)
    commits = []

    def write(batch):
        commits.append(len(batch))
        return store.write_metrics(batch)

    writer = ingest.IngestWriter(write)
    writer.start()
    endpoint = manager.WatchEngineManager(store, writer)
    failures = _call(endpoint, [
        ['p1', 'ns', _metrics('a', 1.0)],
        ['p2', 'ns', [['b', 'not dimensions', []]]],
        ['p2', 'ns', _metrics('c', 3.0, count=None)],  # refused by NOT NULL
        ['p2', 'ns', _metrics('d', 4.0)],
        [None, 'ns', _metrics('e', 5.0)],
        'not an item',
    ], packed)
    writer.stop()
    assert [(index, name) for index, name, _ in failures] == [
        (1, 'InvalidParameterValue'), (4, 'AuthenticationFailed'),
        (5, 'InvalidParameterValue'), (2, 'ServiceUnavailable')]
    assert _stored(watch_engine) == {('p1', 'a'): 1.0, ('p2', 'd'): 4.0}
    # Together first; apart once the database refused the shared commit.
    assert commits == [3, 1, 1, 1]


def test_an_empty_batch_answers_no_failures(watch_engine):
    writer = ingest.IngestWriter(lambda batch: set())
    writer.start()
    endpoint = manager.WatchEngineManager(None, writer)
    assert endpoint.put_metric_batch(context.RequestContext(), []) == []
    writer.stop()


def test_the_client_rebuilds_each_failure_as_the_projects_exception():
    from heat_watch.watch import rpcapi

    error = rpcapi._rebuilt('InvalidParameterValue', 'bad metrics')
    assert isinstance(error, exceptions.InvalidParameterValue) and str(error) == 'bad metrics'
    assert isinstance(rpcapi._rebuilt('KeyError', 'x'), exceptions.ServiceUnavailable)


def test_a_database_outage_fails_the_whole_call_so_it_is_not_taken_for_a_recovery():
    from oslo_db import exception as db_exc

    def write(batch):
        raise db_exc.DBConnectionError('the database went away')

    writer = ingest.IngestWriter(write)
    writer.start()
    endpoint = manager.WatchEngineManager(None, writer)
    try:
        # Raised as oslo.messaging's ExpectedException, which carries it over RPC.
        with pytest.raises(messaging.ExpectedException) as raised:
            endpoint.put_metric_batch(context.RequestContext(), [
                ['p1', 'ns', _metrics('a', 1.0)], ['p2', 'ns', _metrics('b', 2.0)]])
        assert isinstance(raised.value.exc_info[1], exceptions.DatabaseUnavailable)
    finally:
        writer.stop()


def test_packed_values_land_exactly(watch_engine):
    store = metric_storage.MetricStore(watch_engine)
    writer = ingest.IngestWriter(store.write_metrics)
    writer.start()
    endpoint = manager.WatchEngineManager(store, writer)
    values = {'tenth': 0.1, 'tiny': 8.515920e-109, 'huge': 1.174271e+108, 'neg': -2.5e-7,
              'third': 1 / 3}
    items = [['p1', 'ns', _metrics(name, value)] for name, value in values.items()]
    assert _call(endpoint, items, packed=True) == []
    writer.stop()
    assert _stored(watch_engine) == {('p1', name): value for name, value in values.items()}


@pytest.mark.parametrize('packed', ['{"not": "a list"}', '[["p1", "ns", ', '"text"'])
def test_a_packed_batch_that_is_not_a_json_list_is_invalid(packed):
    endpoint = manager.WatchEngineManager(None, None)
    with pytest.raises(messaging.ExpectedException) as raised:
        endpoint.put_metric_batch(context.RequestContext(), packed=packed)
    assert isinstance(raised.value.exc_info[1], exceptions.InvalidParameterValue)


@pytest.mark.parametrize('items', [None, 'text', {'p1': []}])
def test_a_batch_whose_items_are_not_a_list_is_invalid(items):
    endpoint = manager.WatchEngineManager(None, None)
    with pytest.raises(messaging.ExpectedException) as raised:
        endpoint.put_metric_batch(context.RequestContext(), items=items)
    assert isinstance(raised.value.exc_info[1], exceptions.InvalidParameterValue)
