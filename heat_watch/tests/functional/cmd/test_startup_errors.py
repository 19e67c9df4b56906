"""A daemon that cannot start says why in one line, with what to change,
and exits with status 1: no traceback."""

import socket

import pytest

from heat_watch.tests.functional.cmd import support


@pytest.mark.parametrize('script', support.SCRIPTS)
def test_missing_config_file_is_one_line_naming_it(script, tmp_path):
    missing = str(tmp_path / 'missing.conf')
    done = support.run(script, '--config-file', missing, 'db_version', home=str(tmp_path)) \
        if script == 'heat-watch-manage' else \
        support.run(script, '--config-file', missing, home=str(tmp_path))
    line = support.one_line_failure(done, script)
    assert 'configuration file not found: %s' % missing in line


@pytest.mark.parametrize('script', support.DAEMONS)
def test_unparsable_config_file_is_one_line_with_the_line_at_fault(script, tmp_path):
    bad = support.write(tmp_path / 'bad.conf', '[DEFAULT]\nstate_path = %s\n[watch_engine\n'
                        % tmp_path)
    line = support.one_line_failure(support.run(script, '--config-file', bad,
                                                home=str(tmp_path)), script)
    assert 'cannot parse the configuration file %s' % bad in line
    assert 'watch_engine' in line


@pytest.mark.parametrize('script,section,option', [
    ('heat-watch-engine', 'DEFAULT', 'host'),
    ('heat-watch-api-cloudwatch', 'cloudwatch_api', 'auth_backend'),
    ('heat-watch-notifier', 'notifier', 'delivery_threads'),
    ('heat-watch-all', 'cloudwatch_api', 'bind_port'),
])
def test_inline_comment_is_refused_naming_the_option(script, section, option, tmp_path):
    values = {'host': 'engine-1', 'auth_backend': 'keystone',
              'delivery_threads': '16', 'bind_port': '8003'}
    conf = support.write(tmp_path / 'c.conf', '[DEFAULT]\nstate_path = %s\n[%s]\n'
                         '%s = %s    # a comment\n' % (tmp_path, section, option,
                                                       values[option]))
    line = support.one_line_failure(support.run(script, '--config-file', conf,
                                                home=str(tmp_path)), script)
    assert '[%s] %s in %s' % (section, option, conf) in line
    assert 'comments on lines of their own' in line


@pytest.mark.parametrize('script', ['heat-watch-api-cloudwatch', 'heat-watch-all'])
def test_port_in_use_is_one_line_naming_the_options(script, tmp_path):
    with socket.socket() as holder:
        holder.bind(('127.0.0.1', 0))
        holder.listen()
        port = holder.getsockname()[1]
        conf = support.write(tmp_path / 'c.conf', '[DEFAULT]\nstate_path = %s\n'
                             '[cloudwatch_api]\nbind_host = 127.0.0.1\nbind_port = %d\n'
                             '[credentials]\nencryption_key_file = %s\n'
                             % (tmp_path, port, tmp_path / 'credential.key'))
        if script == 'heat-watch-api-cloudwatch':
            support.run('heat-watch-manage', '--config-file', conf, 'credentials',
                        'key-create', home=str(tmp_path))
        done = support.run(script, '--config-file', conf, home=str(tmp_path))
    line = support.one_line_failure(done, script)
    assert 'cannot listen on 127.0.0.1:%d (Address already in use)' % port in line
    assert '[cloudwatch_api] bind_host and bind_port' in line


def test_rest_api_port_in_use_names_the_api_options(tmp_path):
    with socket.socket() as holder:
        holder.bind(('127.0.0.1', 0))
        holder.listen()
        port = holder.getsockname()[1]
        conf = support.write(tmp_path / 'c.conf', '[DEFAULT]\nstate_path = %s\n'
                             '[cloudwatch_api]\nbind_host = 127.0.0.1\nbind_port = 0\n'
                             '[api]\nbind_host = 127.0.0.1\nbind_port = %d\n'
                             % (tmp_path, port))
        done = support.run('heat-watch-all', '--config-file', conf, home=str(tmp_path))
    line = support.one_line_failure(done, 'heat-watch-all')
    assert 'cannot listen on 127.0.0.1:%d (Address already in use)' % port in line
    assert '[api] bind_host and bind_port' in line


@pytest.mark.parametrize('script,args', [('heat-watch-engine', ()),
                                         ('heat-watch-all', ()),
                                         ('heat-watch-manage', ('db_sync',))])
def test_unreachable_database_is_one_line_naming_the_option(script, args, tmp_path):
    conf = support.write(tmp_path / 'c.conf', '[DEFAULT]\nstate_path = %s\n'
                         '[watch_database]\nconnection = mysql+pymysql://heat_watch@'
                         '127.0.0.1:%d/heat_watch\nmax_retries = 1\nretry_interval = 1\n'
                         % (tmp_path, support.closed_port()))
    line = support.one_line_failure(support.run(script, '--config-file', conf, *args,
                                                home=str(tmp_path)), script)
    assert 'cannot reach the watch database' in line
    assert "Can't connect to MySQL server" in line
    assert 'check [watch_database] connection' in line


def test_api_without_its_credential_key_file_names_the_option_and_the_command(tmp_path):
    key = tmp_path / 'credential.key'
    conf = support.write(tmp_path / 'c.conf', '[DEFAULT]\nstate_path = %s\n'
                         '[cloudwatch_api]\nauth_backend = local\nbind_port = %d\n'
                         '[credentials]\nencryption_key_file = %s\n'
                         % (tmp_path, support.closed_port(), key))
    line = support.one_line_failure(support.run('heat-watch-api-cloudwatch', '--config-file',
                                                conf, home=str(tmp_path)),
                                    'heat-watch-api-cloudwatch')
    assert 'cannot read the credential key file %s' % key in line
    assert '[credentials] encryption_key_file' in line
    assert 'heat-watch-manage --config-file FILE credentials key-create' in line


def test_missing_config_dir_is_one_line_naming_it(tmp_path):
    missing = str(tmp_path / 'conf.d')
    line = support.one_line_failure(support.run('heat-watch-engine', '--config-dir', missing,
                                                home=str(tmp_path)), 'heat-watch-engine')
    assert 'configuration directory not found: %s' % missing in line


def test_unknown_auth_backend_is_one_line_naming_it(tmp_path):
    conf = support.write(tmp_path / 'c.conf', '[DEFAULT]\nstate_path = %s\n'
                         '[cloudwatch_api]\nauth_backend = ldap\nbind_port = %d\n'
                         % (tmp_path, support.closed_port()))
    line = support.one_line_failure(support.run('heat-watch-api-cloudwatch', '--config-file',
                                                conf, home=str(tmp_path)),
                                    'heat-watch-api-cloudwatch')
    assert 'heat_watch.cloudwatch.auth' in line and "'ldap'" in line


@pytest.mark.parametrize('script,args', [('heat-watch-all', ()),
                                         ('heat-watch-manage', ('db_sync',))])
def test_unusable_state_path_is_one_line_naming_it(script, args, tmp_path):
    blocker = tmp_path / 'a-file'
    blocker.write_text('not a directory')
    state = blocker / 'state'
    line = support.one_line_failure(support.run(script, '--state_path', str(state), *args,
                                                home=str(tmp_path)), script)
    assert 'cannot use %s' % state in line and 'state_path' in line
