"""Orchestrators starting at once write their first heartbeats side by side
on MariaDB and PostgreSQL without a deadlock (InnoDB's gap locks made two
update-then-insert transactions deadlock, and an orchestrator exited on it)."""

import concurrent.futures
import threading

import pytest
from oslo_config import cfg

from heat_watch import opts
from heat_watch.common import db
from heat_watch.orchestration.storage import database, locks
from heat_watch.tests.integration import base

ENGINES = 8
ROUNDS = 5


@pytest.fixture(scope='module')
def lock_store(backend):
    name = base.unique_name('beats_' + backend.name)
    backend.create(name)
    conf = opts.register_all(cfg.ConfigOpts())
    conf([], default_config_files=[])
    conf.set_override('connection', backend.url(name), group=database.GROUP)
    try:
        database.DATABASE.db_sync(conf)
        yield locks.LockStore(database.DATABASE.get_engine(conf))
    finally:
        db.dispose_engines()
        backend.drop(name)


def test_first_heartbeats_of_engines_starting_together_all_land(lock_store):
    for round_ in range(ROUNDS):
        ids = ['engine-%d-%d' % (round_, i) for i in range(ENGINES)]
        start = threading.Barrier(ENGINES)

        def first_beat(engine_id: str, start: threading.Barrier = start) -> None:
            start.wait()
            lock_store.heartbeat(engine_id, 'host-of-' + engine_id)

        with concurrent.futures.ThreadPoolExecutor(ENGINES) as pool:
            for future in [pool.submit(first_beat, engine_id) for engine_id in ids]:
                future.result()  # raises what a beat raised (DBDeadlock before)
        assert set(ids) <= lock_store.alive(stale_after_ms=60_000)


def test_a_beat_that_finds_its_row_inserted_meanwhile_updates_it(lock_store, monkeypatch):
    # Another beat of the same engine inserts between this one's update
    # (no row yet) and its insert: the insert's duplicate key is no error.
    real_beat = lock_store._beat

    def beat_then_race(engine_id: str, stamp: int) -> bool:
        monkeypatch.setattr(lock_store, '_beat', real_beat)  # only the first time
        with lock_store.engine.begin() as conn:
            conn.execute(locks.ENGINES.insert().values(
                engine_id=engine_id, host='host-twin', started_at=0, heartbeat_at=0))
        return False

    monkeypatch.setattr(lock_store, '_beat', beat_then_race)
    lock_store.heartbeat('twin', 'host-twin')
    assert 'twin' in lock_store.alive(stale_after_ms=60_000)  # the later stamp landed
