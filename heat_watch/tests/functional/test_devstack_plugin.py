"""The devstack plugin's phases, run by bash as devstack runs them.

Only devstack's own functions are stubbed (each records its call); iniset
really writes the configuration, database_connection_url gives a SQLite
file, and get_python_exec_prefix gives this environment's scripts, so the
plugin's heat-watch-manage commands really run on the file it wrote.
"""

import configparser
import os
import pathlib
import subprocess
import sys

import pytest

from heat_watch.tests.functional.cmd import support

DEVSTACK = pathlib.Path(__file__).resolve().parents[3] / 'devstack'
SERVICES = ['heat-watch-api-cloudwatch', 'heat-watch-engine', 'heat-watch-notifier']

STUBS = r'''
set -e
record() { echo "$*" >> "$CALLS"; }
_cleanup_list() { echo "$1" | tr ',' '\n' | grep -v '^$' | sort -u | paste -sd, -; }
# As devstack: a service is enabled when listed, or when its is_X_enabled
# function (lib/keystone's is_keystone_enabled: the service "key") says so.
is_keystone_enabled() { [[ ",${ENABLED_SERVICES}," == *",key,"* ]]; }
is_service_enabled() {
    local service
    for service in "$@"; do
        [[ ",${ENABLED_SERVICES}," == *",${service},"* ]] && return 0
        if type is_${service}_enabled >/dev/null 2>&1 && is_${service}_enabled; then
            return 0
        fi
    done
    return 1
}
enable_service() { record enable_service "$@"; local s; for s in "$@"; do
    ENABLED_SERVICES=$(_cleanup_list "${ENABLED_SERVICES},$s"); done; }
disable_service() { local s; for s in "$@"; do
    DISABLED_SERVICES=$(_cleanup_list "${DISABLED_SERVICES},$s")
    ENABLED_SERVICES=$(echo ",${ENABLED_SERVICES}," | sed "s/,$s,/,/g");
    ENABLED_SERVICES=$(_cleanup_list "$ENABLED_SERVICES"); done; }
iniset() { record iniset "$@"; "$PYTHON" -c '
import configparser, sys
path, section, option, value = sys.argv[1:5]
parser = configparser.RawConfigParser()
parser.optionxform = str
parser.read(path)
if section != "DEFAULT" and not parser.has_section(section):
    parser.add_section(section)
parser.set(section, option, value)
with open(path, "w") as out:
    parser.write(out)
' "$@"; }
iniset_rpc_backend() { record iniset_rpc_backend "$@"; }
database_connection_url() { echo "sqlite:///$DATA_DIR/$1.sqlite"; }
recreate_database() { record recreate_database "$@"; rm -f "$DATA_DIR/$1.sqlite"; }
setup_develop() { record setup_develop "$@"; }
get_or_create_service() { record get_or_create_service "$@"; }
get_or_create_endpoint() { record get_or_create_endpoint "$@"; }
run_process() { record run_process "$@"; }
stop_process() { record stop_process "$@"; }
echo_summary() { record echo_summary "$@"; }
get_python_exec_prefix() { echo "$BIN_DIR"; }
pip_install() { record pip_install "$@"; }
create_service_user() { record create_service_user "$@"; }
# As lib/keystone writes it (the values, not the whole option set).
configure_keystone_authtoken_middleware() {
    record configure_keystone_authtoken_middleware "$@"
    local conf=$1 user=$2 section=${3:-keystone_authtoken}
    iniset $conf $section auth_type password
    iniset $conf $section auth_url $KEYSTONE_SERVICE_URI
    iniset $conf $section username $user
    iniset $conf $section password $SERVICE_PASSWORD
    iniset $conf $section user_domain_name Default
    iniset $conf $section project_name service
    iniset $conf $section project_domain_name Default
    iniset $conf $section www_authenticate_uri $KEYSTONE_SERVICE_URI
}
sudo() { "$@"; }
'''


@pytest.fixture
def devstack(tmp_path):
    """``devstack(local_conf, *phases)``: sources local.conf's lines, the
    plugin's settings, then the plugin once per phase; returns the calls
    (one list per phase) and the bash output."""
    def run(local_conf: str, *phases: tuple[str, ...], **env) -> tuple[list, str]:
        calls = tmp_path / 'calls'
        lines = [STUBS, local_conf, 'source %s/settings' % DEVSTACK,
                 'echo "--- settings" >> "$CALLS"']
        for phase in phases:
            lines.append('source %s/plugin.sh %s' % (DEVSTACK, ' '.join(phase)))
            lines.append('echo "--- %s" >> "$CALLS"' % ' '.join(phase))
        environment = {**os.environ, **dict(
            CALLS=str(calls), PYTHON=sys.executable, BIN_DIR=support.BIN,
            DEST=str(tmp_path / 'opt'), DATA_DIR=str(tmp_path / 'data'),
            HEAT_WATCH_CONF_DIR=str(tmp_path / 'etc'), STACK_USER=_user(),
            ENABLED_SERVICES='key,mysql', DISABLED_SERVICES='', SERVICE_HOST='192.0.2.5',
            SERVICE_PROTOCOL='https', REGION_NAME='RegionOne', ENABLE_DEBUG_LOG_LEVEL='True',
            KEYSTONE_SERVICE_URI='http://192.0.2.5/identity', SERVICE_PASSWORD='secretpw',
            HOME=str(tmp_path)), **env}
        (tmp_path / 'data').mkdir(exist_ok=True)
        done = subprocess.run(['bash', '-c', '\n'.join(lines)], capture_output=True,
                              text=True, env=environment, timeout=240)
        assert done.returncode == 0, done.stdout + done.stderr
        text = calls.read_text() if calls.exists() else ''
        by_phase, current = [], []
        for line in text.splitlines():
            if line.startswith('--- '):
                by_phase.append(current)
                current = []
            else:
                current.append(line)
        return by_phase, done.stdout

    run.tmp_path = tmp_path
    return run


def _user() -> str:
    import pwd
    return pwd.getpwuid(os.getuid()).pw_name


ALL_PHASES = (('stack', 'install'), ('stack', 'post-config'), ('stack', 'extra'),
              ('unstack',), ('clean',))


def test_settings_enable_the_services_by_default(devstack):
    [settings] = devstack('')[0][:1]
    enabled = [s for call in settings if call.startswith('enable_service ')
               for s in call.split()[1:]]
    assert sorted(enabled) == SERVICES


def test_a_service_disabled_in_local_conf_stays_disabled(devstack):
    phases, _ = devstack('disable_service heat-watch-notifier', *ALL_PHASES,
                         HEAT_WATCH_AUTH_BACKEND='local')
    settings, _install, _config, extra, unstack, _clean = phases
    assert 'enable_service heat-watch-notifier' not in settings
    started = [c.split()[1] for c in extra if c.startswith('run_process')]
    assert started == ['heat-watch-engine', 'heat-watch-api-cloudwatch']
    stopped = [c.split()[1] for c in unstack if c.startswith('stop_process')]
    assert stopped == ['heat-watch-api-cloudwatch', 'heat-watch-engine']


def test_nothing_is_installed_or_configured_when_every_service_is_disabled(devstack):
    phases, _ = devstack('disable_service %s' % ' '.join(SERVICES), *ALL_PHASES[:4])
    assert all(phase == [] for phase in phases), phases
    assert not (devstack.tmp_path / 'etc').exists()


def test_stack_with_the_local_backend_writes_config_migrates_and_makes_the_key(devstack):
    phases, output = devstack('', *ALL_PHASES[:3], HEAT_WATCH_AUTH_BACKEND='local')
    _settings, install, config, extra = phases
    assert install == ['echo_summary Installing heat_watch',
                       'setup_develop %s' % (devstack.tmp_path / 'opt' / 'heat_watch')]
    conf_path = devstack.tmp_path / 'etc' / 'heat_watch.conf'
    parser = configparser.RawConfigParser()
    parser.read(conf_path)
    state = devstack.tmp_path / 'data' / 'heat_watch'
    assert parser.get('DEFAULT', 'state_path') == str(state)
    assert parser.get('cloudwatch_api', 'auth_backend') == 'local'
    assert parser.get('cloudwatch_api', 'bind_port') == '8003'
    assert not parser.has_section('ec2authtoken')
    # Nothing serves TLS on 8003, whatever SERVICE_PROTOCOL says.
    assert ('get_or_create_endpoint cloudwatch RegionOne http://192.0.2.5:8003/v1'
            in config)
    # The real heat-watch-manage ran on the written file: schema and key exist.
    assert 'recreate_database heat_watch' in extra
    assert (devstack.tmp_path / 'data' / 'heat_watch.sqlite').stat().st_size > 0
    assert (state / 'credential.key').read_text().strip()
    api = [c for c in extra if c.startswith('run_process heat-watch-api-cloudwatch')]
    assert api == ['run_process heat-watch-api-cloudwatch %s/heat-watch-api-cloudwatch '
                   '--config-file %s' % (support.BIN, conf_path)]
    assert 'credentials create --project-id PROJECT' in output


def test_keystone_backend_tells_the_user_to_make_ec2_credentials(devstack):
    phases, output = devstack('', *ALL_PHASES[:3])
    parser = configparser.RawConfigParser()
    parser.read(devstack.tmp_path / 'etc' / 'heat_watch.conf')
    assert parser.get('cloudwatch_api', 'auth_backend') == 'keystone'
    assert parser.get('ec2authtoken', 'auth_uri') == 'http://192.0.2.5/identity/v3'
    assert 'openstack ec2 credentials create' in output
    # No key file is made for a backend that does not use one.
    assert not (devstack.tmp_path / 'data' / 'heat_watch' / 'credential.key').exists()


def test_without_keystone_no_endpoint_is_registered(devstack):
    phases, _ = devstack('', ('stack', 'post-config'), ENABLED_SERVICES='mysql')
    assert not any(c.startswith('get_or_create') for c in phases[1])


def test_clean_removes_the_configuration_and_the_state(devstack):
    devstack('', *ALL_PHASES[:3], HEAT_WATCH_AUTH_BACKEND='local')
    assert (devstack.tmp_path / 'etc' / 'heat_watch.conf').exists()
    devstack('', ('unstack',), ('clean',))
    assert not (devstack.tmp_path / 'etc').exists()
    assert not (devstack.tmp_path / 'data' / 'heat_watch').exists()


# The REST API (heat-watch-api): opt-in, served by uwsgi.

def _ini(path) -> configparser.RawConfigParser:
    parser = configparser.RawConfigParser()
    parser.optionxform = str
    assert parser.read(path), path
    return parser


def test_rest_api_is_not_enabled_by_default(devstack):
    phases, _ = devstack('', *ALL_PHASES[:3], HEAT_WATCH_AUTH_BACKEND='local')
    _settings, install, config, extra = phases
    assert not any('heat-watch-api ' in c + ' ' for c in extra if c.startswith('run_process'))
    assert not any(c.startswith('create_service_user') for c in config)
    assert 'pip_install uwsgi' not in install
    assert not (devstack.tmp_path / 'etc' / 'heat-watch-api-uwsgi.ini').exists()


def test_enabled_rest_api_runs_under_uwsgi_behind_keystone(devstack):
    phases, _ = devstack('enable_service heat-watch-api', *ALL_PHASES[:4])
    _settings, install, config, extra, unstack = phases
    etc = devstack.tmp_path / 'etc'
    assert 'pip_install uwsgi' in install
    # The service user keystonemiddleware logs in as, and both catalog types.
    assert 'create_service_user heat_watch' in config
    assert ('get_or_create_service heat-watch-metering metering heat_watch REST API: '
            'meters, samples, statistics') in config
    assert 'get_or_create_endpoint metering RegionOne http://192.0.2.5:8004' in config
    assert 'get_or_create_endpoint alarming RegionOne http://192.0.2.5:8004' in config
    conf = _ini(etc / 'heat_watch.conf')
    assert conf.get('api', 'auth_strategy') == 'keystone'
    assert conf.get('keystone_authtoken', 'username') == 'heat_watch'
    assert conf.get('keystone_authtoken', 'password') == 'secretpw'
    assert conf.get('keystone_authtoken', 'auth_url') == 'http://192.0.2.5/identity'
    uwsgi = _ini(etc / 'heat-watch-api-uwsgi.ini')
    assert uwsgi.get('uwsgi', 'module') == 'heat_watch.wsgi.api:application'
    assert uwsgi.get('uwsgi', 'http-socket') == '0.0.0.0:8004'
    assert uwsgi.get('uwsgi', 'env') == 'HEAT_WATCH_CONFIG_FILES=%s' % (etc / 'heat_watch.conf')
    assert uwsgi.get('uwsgi', 'lazy-apps') == 'true'
    assert ('run_process heat-watch-api %s/uwsgi --procname-prefix heat-watch-api --ini %s'
            % (support.BIN, etc / 'heat-watch-api-uwsgi.ini')) in extra
    assert 'stop_process heat-watch-api' in unstack


def test_rest_api_without_keystone_is_noauth_and_not_registered(devstack):
    phases, _ = devstack('enable_service heat-watch-api', *ALL_PHASES[:3],
                         ENABLED_SERVICES='mysql', HEAT_WATCH_AUTH_BACKEND='local')
    config = phases[2]
    assert not any(c.startswith(('get_or_create', 'create_service_user',
                                 'configure_keystone')) for c in config)
    conf = _ini(devstack.tmp_path / 'etc' / 'heat_watch.conf')
    assert conf.get('api', 'auth_strategy') == 'noauth'
    assert not conf.has_section('keystone_authtoken')


def _uwsgi() -> str:
    path = pathlib.Path(support.BIN) / 'uwsgi'
    if not path.exists():
        pytest.fail('uwsgi is not installed (pyuwsgi is a test dependency)')
    return str(path)


def test_generated_uwsgi_ini_serves_the_rest_api(devstack):
    """The ini and heat_watch.conf the plugin wrote, run by a real uwsgi."""
    import requests

    from heat_watch.tests import services
    port = services.free_port()
    phases, _ = devstack('enable_service heat-watch-api', *ALL_PHASES[:3],
                         ENABLED_SERVICES='mysql', HEAT_WATCH_AUTH_BACKEND='local',
                         HEAT_WATCH_API_PORT=str(port), SERVICE_LISTEN_ADDRESS='127.0.0.1')
    ini = devstack.tmp_path / 'etc' / 'heat-watch-api-uwsgi.ini'
    # The plugin's command line, as run_process would run it.
    [command] = [c.split(None, 2)[2] for c in phases[3]
                 if c.startswith('run_process heat-watch-api ')]
    assert command.endswith('--ini %s' % ini)
    log = devstack.tmp_path / 'uwsgi.log'
    # pyuwsgi (the test dependency) starts Python before it reads the ini, so
    # the ini's env line would come too late for os.environ; devstack's
    # compiled uwsgi applies it first. Same value, given the pyuwsgi way.
    name, _, value = _ini(ini).get('uwsgi', 'env').partition('=')
    server = subprocess.Popen([_uwsgi(), '--ini', str(ini), '--logto', str(log)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
                              cwd=str(devstack.tmp_path), env={**os.environ, name: value})
    try:
        base = 'http://127.0.0.1:%d' % port
        answer = None
        for _ in range(150):
            try:
                answer = requests.get(base + '/v2/capabilities', timeout=120)
                break
            except requests.ConnectionError:
                assert server.poll() is None, log.read_text()
                import time
                time.sleep(0.2)
        assert answer is not None and answer.status_code == 200, log.read_text()
        assert answer.json()['api']['statistics:groupby'] is True
        versions = requests.get(base + '/', timeout=60)
        assert versions.json()['versions']['values'][0]['id'] == 'v2'
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_orchestrator_is_not_enabled_by_default(devstack):
    phases, _ = devstack('', *ALL_PHASES[:3], HEAT_WATCH_AUTH_BACKEND='local')
    _settings, _install, config, extra = phases
    assert not any('heat-watch-orchestrator' in c for c in config + extra)
    assert not _ini(devstack.tmp_path / 'etc' / 'heat_watch.conf').has_section(
        'orchestration_database')


def test_enabled_orchestrator_runs_with_nova_and_registers_the_v1_api(devstack):
    phases, _ = devstack('enable_service heat-watch-api heat-watch-orchestrator',
                         *ALL_PHASES[:4], ADMIN_PASSWORD='adminpw')
    _settings, _install, config, extra, unstack = phases
    conf = _ini(devstack.tmp_path / 'etc' / 'heat_watch.conf')
    data = devstack.tmp_path / 'data'
    assert conf.get('orchestration_database', 'connection') == \
        'sqlite:///%s/heat_watch_orchestration.sqlite' % data
    assert conf.get('orchestration', 'compute_driver') == 'nova'
    assert conf.get('orchestration', 'api_endpoint') == 'http://192.0.2.5:8004'
    assert conf.get('orchestration', 'cloudwatch_endpoint') == 'http://192.0.2.5:8003/v1'
    assert conf.get('nova', 'auth_url') == 'http://192.0.2.5/identity/v3'
    assert conf.get('nova', 'username') == 'demo' and conf.get('nova', 'password') == 'adminpw'
    # python-heatclient and `openstack stack` find /v1 through the catalog.
    assert ('get_or_create_endpoint orchestration RegionOne '
            'http://192.0.2.5:8004/v1/$(project_id)s') in config
    assert 'recreate_database heat_watch_orchestration' in extra
    # heat-watch-manage db_sync really ran on the orchestrator's database too.
    assert (data / 'heat_watch_orchestration.sqlite').exists()
    assert ('run_process heat-watch-orchestrator %s/heat-watch-orchestrator --config-file %s'
            % (support.BIN, devstack.tmp_path / 'etc' / 'heat_watch.conf')) in extra
    assert 'stop_process heat-watch-orchestrator' in unstack
