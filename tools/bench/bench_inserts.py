#!/usr/bin/env python3
"""Datapoint inserts on PostgreSQL and MariaDB: executemany against the
batch forms the databases are made for (multi-row VALUES, PostgreSQL COPY).

Usage (from the repository root; the machine's PostgreSQL and MariaDB):

    .venv/bin/python tools/bench/bench_inserts.py [--rows 20000] [--rounds 5]

Each method inserts the same rows (1000-datum requests' worth, 100 metrics)
into a fresh watch database, committing every ``--batch`` rows as ingestion
does. Printed per method: rows/s, and CPU per row of this process (the
driver) and of the database server (every postgres / mariadbd process).
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time

import psutil

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(
    __file__)))))
from heat_watch.tests.integration import base  # noqa: E402
from heat_watch.watch.storage import metrics  # noqa: E402

SERVER_NAMES = {'postgresql': ('postgres',), 'mariadb': ('mariadbd', 'mysqld')}


def _server_cpu(names: tuple[str, ...]) -> float:
    total = 0.0
    for proc in psutil.process_iter(['name']):
        if proc.info['name'] in names:
            try:
                times = proc.cpu_times()
            except psutil.Error:
                continue
            total += times.user + times.system
    return total


def _rows(count: int) -> list[tuple]:
    rng = random.Random(7)
    now = int(time.time() * 1000)
    rows = []
    for index in range(count):
        value = round(rng.uniform(0, 100), 3)
        rows.append((1 + index % 100, now - rng.randint(0, 300_000), 'Percent', 60, 1.0,
                     value, value, value, True, None))
    return rows


def _executemany(engine, rows: list[tuple]) -> None:
    columns = ', '.join(metrics.DATAPOINT_COLUMNS)
    sql = 'INSERT INTO datapoints (%s) VALUES (%s)' % (
        columns, ', '.join(['%s'] * len(metrics.DATAPOINT_COLUMNS)))
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        cursor.executemany(sql, rows)
        raw.commit()
    finally:
        raw.close()


def _multi_row(store: metrics.MetricStore, rows: list[tuple]) -> None:
    store._writer._transaction(metrics._insert_statements(
        store.engine.dialect, metrics.DATAPOINTS, rows))


def _store_insert(store: metrics.MetricStore, rows: list[tuple]) -> None:
    store._writer.insert(metrics.DATAPOINTS, rows)


def run(backend_name: str, rows_count: int, batch: int, rounds: int) -> list[str]:
    backend = base.BACKENDS[backend_name]
    backend.require()
    out = []
    with base.watch_database(backend, 'bench_inserts') as engine:
        store = metrics.MetricStore(engine)
        rows = _rows(rows_count)
        methods = {'executemany': lambda chunk: _executemany(engine, chunk),
                   'multi-row values': lambda chunk: _multi_row(store, chunk)}
        if metrics.insert_method(engine.dialect) in ('copy', 'literal values'):
            methods[metrics.insert_method(engine.dialect)] = (
                lambda chunk: _store_insert(store, chunk))
        for name, method in methods.items():
            best = None
            for _ in range(rounds):
                began, ours = time.perf_counter(), time.process_time()
                server = _server_cpu(SERVER_NAMES[backend_name])
                for start in range(0, len(rows), batch):
                    method(rows[start:start + batch])
                elapsed = time.perf_counter() - began
                figures = (len(rows) / elapsed, (time.process_time() - ours) * 1e6 / len(rows),
                           (_server_cpu(SERVER_NAMES[backend_name]) - server) * 1e6 / len(rows))
                if best is None or figures[1] + figures[2] < best[1] + best[2]:
                    best = figures
            out.append('%-10s %-18s %9.0f rows/s  driver %5.2f us/row  server %5.2f us/row'
                       % (backend_name, name, *best))
        store.release_connection()
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--rows', type=int, default=20000)
    parser.add_argument('--batch', type=int, default=4000,
                        help='rows per transaction (a coalesced commit)')
    parser.add_argument('--rounds', type=int, default=3, help='best of this many')
    parser.add_argument('--only', choices=sorted(SERVER_NAMES))
    args = parser.parse_args(argv)
    for name in [args.only] if args.only else sorted(SERVER_NAMES):
        for line in run(name, args.rows, args.batch, args.rounds):
            print(line, flush=True)
    return 0


if __name__ == '__main__':
    sys.exit(main())
