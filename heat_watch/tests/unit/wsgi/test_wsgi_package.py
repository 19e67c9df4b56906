"""What the WSGI modules share: where the configuration comes from, and an
application built once per process."""

import os

from heat_watch import wsgi


def test_the_config_files_and_dir_come_from_the_environment():
    args = wsgi.config_args({wsgi.CONFIG_FILES_ENV: '/etc/a.conf; /etc/b.conf;',
                             wsgi.CONFIG_DIR_ENV: '/etc/heat_watch/conf.d'})

    assert args == ['--config-file', '/etc/a.conf', '--config-file', '/etc/b.conf',
                    '--config-dir', '/etc/heat_watch/conf.d']


def test_without_the_environment_the_default_files_are_read():
    assert wsgi.config_args({}) == []


def _counting_app():
    built = []

    def build():
        built.append(os.getpid())

        def app(environ, start_response):
            start_response('200 OK', [])
            return [b'%d' % len(built)]
        return app
    return built, build


def test_the_application_is_built_on_the_first_request_and_then_reused():
    built, build = _counting_app()
    app = wsgi.PerProcessApp(build)
    assert built == []

    answers = [b''.join(app({}, lambda *a: None)) for _ in range(3)]

    assert answers == [b'1', b'1', b'1']
    assert built == [os.getpid()]


def test_a_forked_worker_builds_its_own_application(monkeypatch):
    built, build = _counting_app()
    app = wsgi.PerProcessApp(build)
    app({}, lambda *a: None)

    monkeypatch.setattr(os, 'getpid', lambda: 4242)  # as in a child after fork

    assert b''.join(app({}, lambda *a: None)) == b'2'
    assert built[-1] == 4242
