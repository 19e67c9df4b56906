"""Expiry of datapoints and metrics on SQLite, and heat-watch-manage expire."""

import json

import pytest
import sqlalchemy as sa
from oslo_config import cfg

from heat_watch import opts
from heat_watch.cmd import manage
from heat_watch.common import config
from heat_watch.watch.storage import connection
from heat_watch.watch.storage import metrics as metric_storage

DAY_MS = 86400 * 1000


@pytest.fixture
def engine(watch_engine):
    return watch_engine


def _datum(name: str, stamp: int, value: float = 1.0) -> dict:
    return {'n': name, 'd': [['Host', name]], 't': stamp, 'v': value}


def _stamps(engine) -> dict[str, list[int]]:
    points, metrics = metric_storage.DATAPOINTS, metric_storage.METRICS
    query = (sa.select(metrics.c.metric_name, points.c.timestamp)
             .join(metrics, metrics.c.id == points.c.metric_id)
             .order_by(metrics.c.metric_name, points.c.timestamp))
    found: dict[str, list[int]] = {}
    with engine.connect() as conn:
        for name, stamp in conn.execute(query):
            found.setdefault(name, []).append(stamp)
    return found


def test_old_datapoints_of_every_metric_go_and_recent_ones_stay(engine):
    store = metric_storage.MetricStore(engine)
    now = metric_storage.now_ms()
    # 250 metrics (three chunks of metric ids), five old points each
    # (several delete batches of 3 rows per chunk), one recent point each.
    names = ['m%03d' % i for i in range(250)]
    store.write([('p', 'ns', [_datum(n, now - 20 * DAY_MS + k) for n in names
                              for k in range(5)] + [_datum(n, now) for n in names])])

    removed, metrics_removed = store.expire(now - DAY_MS, now - 30 * DAY_MS, batch=3)

    assert (removed, metrics_removed) == (250 * 5, 0)
    assert _stamps(engine) == {n: [now] for n in names}


def test_metrics_nothing_was_put_to_go_with_their_datapoints_and_dimensions(engine):
    store = metric_storage.MetricStore(engine)
    now = metric_storage.now_ms()
    store.write([('p', 'ns', [_datum('idle', now - 2 * DAY_MS), _datum('busy', now)])])
    with engine.begin() as conn:
        conn.execute(sa.update(metric_storage.METRICS)
                     .where(metric_storage.METRICS.c.metric_name == 'idle')
                     .values(last_put_at=now - 20 * DAY_MS))

    assert store.expire(now - 10 * DAY_MS, now - 10 * DAY_MS) == (0, 1)

    assert _stamps(engine) == {'busy': [now]}
    with engine.connect() as conn:
        dims = conn.execute(sa.select(metric_storage.DIMENSIONS.c.value)).scalars().all()
    assert dims == ['busy']
    # The cached id of the expired metric is forgotten: a new put recreates it.
    store.write([('p', 'ns', [_datum('idle', now)])])
    assert _stamps(engine) == {'busy': [now], 'idle': [now]}


def test_heat_watch_manage_expire_prints_what_it_deleted(tmp_path, capsys):
    config_file = tmp_path / 'heat_watch.conf'
    config_file.write_text('[DEFAULT]\nstate_path = %s\n' % tmp_path)
    conf = cfg.ConfigOpts()
    opts.register_all(conf)
    conf(['--config-file', str(config_file)], project=config.PROJECT)
    connection.db_sync(conf)
    engine = connection.get_engine(conf)
    now = metric_storage.now_ms()
    metric_storage.MetricStore(engine).write(
        [('p', 'ns', [_datum('m', now - 20 * DAY_MS), _datum('m', now)])])
    connection.dispose_engines()
    capsys.readouterr()
    try:
        assert manage.main(['--config-file', str(config_file), 'expire']) == 0
    finally:
        manage.CONF.reset()
        manage.CONF.unregister_opt(manage.CONF._opts['command']['opt'])
        connection.dispose_engines()
    assert json.loads(capsys.readouterr().out) == {
        'datapoints_deleted': 1, 'metrics_deleted': 0, 'history_deleted': 0}
