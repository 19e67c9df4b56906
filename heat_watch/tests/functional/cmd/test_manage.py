"""heat-watch-manage acts only on a database somebody chose, says which,
creates the credential key file on demand and prints times in ISO 8601."""

import datetime
import json
import os
import stat

from heat_watch.tests.functional.cmd import support

MANAGE = 'heat-watch-manage'


def test_without_config_file_or_state_path_it_refuses_and_creates_nothing(tmp_path):
    home = tmp_path / 'home'
    home.mkdir()
    for args in (('credentials', 'list'), ('credentials', 'create', '--project-id', 'p'),
                 ('db_sync',)):
        line = support.one_line_failure(support.run(MANAGE, *args, home=str(home)), MANAGE)
        assert 'no configuration file found' in line
        assert '--config-file FILE, or --state_path DIR' in line
    assert list(home.iterdir()) == []


def test_explicit_state_path_acts_on_that_state_and_says_so(tmp_path):
    state = tmp_path / 'state'
    done = support.run(MANAGE, '--state_path', str(state), 'db_sync', home=str(tmp_path))
    assert done.returncode == 0, done.stderr
    database = state / 'watch.sqlite'
    assert database.exists()
    assert '%s: watch database sqlite:///%s (from --state_path %s)' % (
        MANAGE, database, state) in done.stderr.splitlines()


def test_config_file_database_is_named_without_its_password(tmp_path):
    conf = support.write(tmp_path / 'c.conf', '[DEFAULT]\nstate_path = %s\n'
                         '[watch_database]\nconnection = mysql+pymysql://heat_watch:'
                         'S3CRET@127.0.0.1:%d/heat_watch\nmax_retries = 1\n'
                         'retry_interval = 1\n' % (tmp_path, support.closed_port()))
    done = support.run(MANAGE, '--config-file', conf, 'db_version', home=str(tmp_path))
    first = done.stderr.splitlines()[0]
    assert first.startswith('%s: watch database mysql+pymysql://heat_watch:***@127.0.0.1:'
                            % MANAGE)
    assert first.endswith('/heat_watch (from %s)' % conf)
    assert 'S3CRET' not in done.stdout + done.stderr


def test_key_create_makes_a_private_key_file_once(tmp_path):
    key = tmp_path / 'keys' / 'credential.key'
    conf = support.write(tmp_path / 'c.conf', '[DEFAULT]\nstate_path = %s\n'
                         '[credentials]\nencryption_key_file = %s\n' % (tmp_path, key))
    first = support.run(MANAGE, '--config-file', conf, 'credentials', 'key-create',
                        home=str(tmp_path))
    assert first.returncode == 0, first.stderr
    assert json.loads(first.stdout) == {'key_file': str(key), 'created': True}
    assert stat.S_IMODE(os.stat(key).st_mode) == 0o600
    content = key.read_text()
    assert len(content.strip()) == 44  # one urlsafe-base64 Fernet key

    again = support.run(MANAGE, '--config-file', conf, 'credentials', 'key-create',
                        home=str(tmp_path))
    assert json.loads(again.stdout) == {'key_file': str(key), 'created': False}
    assert key.read_text() == content


def test_credentials_list_prints_created_at_in_iso_8601_utc(tmp_path):
    state = str(tmp_path / 'state')
    before = datetime.datetime.now(datetime.UTC)
    assert support.run(MANAGE, '--state_path', state, 'db_sync',
                       home=str(tmp_path)).returncode == 0
    created = json.loads(support.run(MANAGE, '--state_path', state, 'credentials', 'create',
                                     '--project-id', 'demo', home=str(tmp_path)).stdout)
    listed = json.loads(support.run(MANAGE, '--state_path', state, 'credentials', 'list',
                                    home=str(tmp_path)).stdout)
    [entry] = listed
    assert entry['access'] == created['access']
    stamp = entry['created_at']
    assert isinstance(stamp, str) and stamp.endswith('Z')
    parsed = datetime.datetime.fromisoformat(stamp)
    assert parsed.utcoffset() == datetime.timedelta(0)
    assert before - datetime.timedelta(seconds=1) <= parsed <= datetime.datetime.now(
        datetime.UTC)
