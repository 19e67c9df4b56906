"""The local compute driver runs a server's user-data script as a real
process in a directory of its own and kills its process group on delete;
the fake driver only records servers; drivers load by name."""

import json
import os
import stat
import time

import psutil
import pytest
from oslo_config import cfg

from heat_watch import opts
from heat_watch.common import exceptions
from heat_watch.orchestration import compute
from heat_watch.orchestration.compute import fake, local


@pytest.fixture
def conf(tmp_path):
    conf = cfg.ConfigOpts()
    opts.register_all(conf)
    conf.set_default('state_path', str(tmp_path))
    conf([])
    return conf


def _wait_for(path: str, timeout: float = 10.0) -> str:
    deadline = time.monotonic() + timeout
    while not (os.path.exists(path) and os.path.getsize(path)):
        assert time.monotonic() < deadline, path
        time.sleep(0.02)
    with open(path) as text:
        return text.read()


def _running(pid: int) -> bool:
    """Whether the process runs (a zombie nobody reaped yet does not)."""
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def test_a_local_server_runs_its_script_with_metadata_and_credentials(conf, monkeypatch):
    monkeypatch.setenv('OS_PASSWORD', 'the-orchestrators-own')
    driver = local.LocalDriver(conf)
    script = ('#!/bin/sh\n'
              'env > seen-environment.txt\n'
              'cat "$HEAT_WATCH_CREDENTIALS" > seen-credentials.json\n'
              'echo "out of $HEAT_WATCH_SERVER_ID"\n'
              'sleep 0.2\n'
              'echo done > done.txt\n')
    server_id = driver.create_server(compute.ServerSpec(
        'web', 'img', 'tiny', script, {'role': 'web'},
        credentials={'access': 'AK', 'secret': 'SK'}))
    directory = os.path.join(conf.state_path, 'servers', server_id)
    assert driver.get_server(server_id).status == compute.ACTIVE
    assert _wait_for(os.path.join(directory, 'done.txt')).strip() == 'done'
    deadline = time.monotonic() + 5
    while driver.get_server(server_id).status != compute.SHUTOFF:
        assert time.monotonic() < deadline
        time.sleep(0.02)
    assert json.loads(_wait_for(os.path.join(directory, 'seen-credentials.json'))) == {
        'access': 'AK', 'secret': 'SK'}
    environment = _wait_for(os.path.join(directory, 'seen-environment.txt'))
    assert 'HEAT_WATCH_SERVER_ID=%s' % server_id in environment
    assert 'HOME=%s' % directory in environment
    assert 'the-orchestrators-own' not in environment
    assert stat.S_IMODE(os.stat(os.path.join(directory, 'credentials.json')).st_mode) == 0o600
    with open(os.path.join(directory, 'metadata.json')) as text:
        assert json.load(text)['metadata'] == {'role': 'web'}
    assert 'out of %s' % server_id in _wait_for(os.path.join(directory, 'console.log'))
    driver.set_metadata(server_id, {'role': 'db'})
    with open(os.path.join(directory, 'metadata.json')) as text:
        document = json.load(text)
    assert (document['metadata'], document['name']) == ({'role': 'db'}, 'web')
    driver.delete_server(server_id)
    assert driver.get_server(server_id) is None
    assert not os.path.exists(directory)


def test_deleting_a_local_server_kills_its_process_group(conf):
    driver = local.LocalDriver(conf)
    server_id = driver.create_server(compute.ServerSpec(
        'web', 'img', 'tiny', '#!/bin/sh\nsleep 300 &\necho $! > child.pid\nwait\n'))
    directory = os.path.join(conf.state_path, 'servers', server_id)
    child = int(_wait_for(os.path.join(directory, 'child.pid')))
    os.kill(child, 0)  # the grandchild runs
    started = time.monotonic()
    driver.delete_server(server_id)
    assert time.monotonic() - started < local.KILL_GRACE
    deadline = time.monotonic() + 5
    while _running(child):
        assert time.monotonic() < deadline, 'the script\'s child survived its server'
        time.sleep(0.02)
    assert driver.get_server(server_id) is None


def test_a_server_without_a_script_is_active_and_runs_nothing(conf):
    driver = local.LocalDriver(conf)
    server_id = driver.create_server(compute.ServerSpec('db', 'img', 'tiny', 'plain data'))
    assert driver.get_server(server_id).status == compute.ACTIVE
    assert not os.path.exists(os.path.join(conf.state_path, 'servers', server_id,
                                           'console.log'))
    driver.delete_server(server_id)
    driver.delete_server(server_id)  # already gone: nothing to do


def test_the_fake_driver_records_servers_with_addresses(conf):
    driver = fake.FakeDriver(conf)
    ids = [driver.create_server(compute.ServerSpec('s%d' % i, 'img', 'tiny'))
           for i in range(3)]
    servers = [driver.get_server(i) for i in ids]
    assert [s.status for s in servers] == [compute.ACTIVE] * 3
    assert len({s.first_address for s in servers}) == 3
    driver.delete_server(ids[0])
    assert driver.get_server(ids[0]) is None
    assert len(driver.servers) == 2


def test_drivers_load_by_name_and_an_unknown_one_is_a_configuration_error(conf):
    opts.register_all(conf)
    conf.set_override('compute_driver', 'fake', group='orchestration')
    assert isinstance(compute.get_driver(conf), fake.FakeDriver)
    other = cfg.ConfigOpts()
    opts.register_all(other)
    other.set_default('state_path', '/tmp')
    other([])
    other.set_override('compute_driver', 'vmware', group='orchestration')
    with pytest.raises(exceptions.ConfigurationError):
        compute.get_driver(other)


def test_what_a_finished_script_left_running_ends_with_its_server(conf):
    driver = local.LocalDriver(conf)
    server_id = driver.create_server(compute.ServerSpec(
        'web', 'img', 'tiny', '#!/bin/sh\nsleep 300 &\necho $! > daemon.pid\n'))
    directory = os.path.join(conf.state_path, 'servers', server_id)
    daemon = int(_wait_for(os.path.join(directory, 'daemon.pid')))
    deadline = time.monotonic() + 5
    while driver.get_server(server_id).status != compute.SHUTOFF:
        assert time.monotonic() < deadline
        time.sleep(0.02)
    assert _running(daemon)  # the script ended, what it started did not
    driver.delete_server(server_id)
    deadline = time.monotonic() + 5
    while _running(daemon):
        assert time.monotonic() < deadline, 'the background process survived its server'
        time.sleep(0.02)


def test_a_server_started_before_a_restart_is_followed_by_its_pid_and_start_time(conf):
    first = local.LocalDriver(conf)
    server_id = first.create_server(compute.ServerSpec(
        'web', 'img', 'tiny', '#!/bin/sh\nexec sleep 300\n'))
    later = local.LocalDriver(conf)  # the orchestrator restarted: not its child
    assert later.get_server(server_id).status == compute.ACTIVE
    state_path = os.path.join(conf.state_path, 'servers', server_id, 'server.json')
    with open(state_path) as text:
        state = json.load(text)
    assert state['started_at'] == local._started_at(state['pid'])
    # A pid that now belongs to another process is neither followed nor killed.
    with open(state_path, 'w') as text:
        json.dump(dict(state, started_at='1'), text)
    assert later.get_server(server_id).status == compute.SHUTOFF
    later.delete_server(server_id)
    assert _running(state['pid'])
    os.killpg(state['pid'], 9)
    first._processes[server_id].wait()
