"""tools/bench/bench_rest_api.py measures what it says: a tiny run against a
real heat-watch-all (its REST API, noauth) writes the samples it counts,
reports no failure and a CPU figure per request, and the alarm lines run
as soon as the application serves /v2/alarms."""

import json
import os
import sys

import requests

BENCH = os.path.join(os.path.dirname(__file__), '..', '..', '..', 'tools', 'bench')
sys.path.insert(0, BENCH)
import bench_rest_api  # noqa: E402


def test_a_tiny_run_against_heat_watch(tmp_path):
    args = bench_rest_api.parse_args([
        '--only', 'heat_watch', '--batches', '1,10', '--clients', '1,2', '--samples', '20',
        '--calls', '5', '--alarms', '12', '--creates', '3', '--history', '4',
        '--list-calls', '2', '--fill-clients', '2'])
    server = bench_rest_api.HeatWatchRest(str(tmp_path / 'heat_watch'))
    server.start()
    try:
        alarms = bench_rest_api.alarm_lines(server, args)
        meters = bench_rest_api.meter_lines(server, args)
        # The samples the grid counted are there to read back.
        listed = requests.get(server.endpoint + '/v2/meters', headers=server.headers(),
                              timeout=60).json()
    finally:
        server.stop()
    assert set(meters) == {'post_b1_c1', 'post_b1_c2', 'post_b10_c1', 'post_b10_c2',
                           'statistics'}
    for name, line in meters.items():
        assert line['failures'] == 0, (name, line)
        assert line['requests'] > 0 and line['per_second'] > 0
        assert line['cpu_ms_per_request'] is not None and line['cpu_ms_per_request'] > 0
    assert meters['post_b1_c1']['requests'] == 20
    assert meters['post_b10_c2']['samples_per_second'] == \
        round(meters['post_b10_c2']['per_second'] * 10, 1)
    names = {meter['name'] for meter in listed}
    assert {n for n in names if n.startswith('m-1-1-')}, names
    if 'not_served' in alarms:
        assert ('POST', '/v2/alarms') not in _served()
    else:
        assert alarms['list']['alarms'] == 2 * 3 + 9 + 1  # and the history alarm
        assert alarms['history']['rows'] >= 4
        for name in ('create_empty', 'create_full', 'list', 'query_by_name', 'history'):
            assert alarms[name]['failures'] == 0, (name, alarms[name])
    # A tiny run's CPU can be under the 10 ms tick of the process times: measured, not zero-checked.
    assert alarms['read_rounds'] == 1 and alarms['history']['cpu_ms_per_request'] >= 0
    report = bench_rest_api.render({'machine': {'speed': 's', 'speed_after': 's'},
                                    'servers': {'heat_watch': {'alarms': alarms,
                                                               'meters': meters}}})
    assert 'post_b10_c2' in report
    json.dumps(meters)  # what the bench writes to its results file


def _served():
    from heat_watch.api import openapi
    from heat_watch.api.controllers import root
    return openapi.normalised(openapi.served_routes(root.RootController()))


def test_aodh_fill_copies_the_api_made_row_with_new_ids_and_names(tmp_path):
    # Aodh's own table is made by aodh-dbsync in the bench; here a table of the
    # same shape stands in, as the fill reads its columns from the row itself.
    import sqlite3
    server = bench_rest_api.AodhRest(str(tmp_path), venv=str(tmp_path / 'venv'))
    db = sqlite3.connect(server.database)
    db.execute('CREATE TABLE alarm (alarm_id VARCHAR(128) PRIMARY KEY, name TEXT, '
               'project_id TEXT, rule TEXT, severity TEXT)')
    db.execute("INSERT INTO alarm VALUES ('model', 'f-0', 'p', '{\"query\": \"q\"}', 'low')")
    db.commit()
    db.close()
    assert server.fill_direct('model', ['f-1', 'f-2']) == 2
    db = sqlite3.connect(server.database)
    rows = db.execute('SELECT alarm_id, name, project_id, rule, severity FROM alarm '
                      'ORDER BY name').fetchall()
    db.close()
    assert [r[1] for r in rows] == ['f-0', 'f-1', 'f-2']
    assert len({r[0] for r in rows}) == 3
    assert {r[2:] for r in rows} == {('p', '{"query": "q"}', 'low')}
