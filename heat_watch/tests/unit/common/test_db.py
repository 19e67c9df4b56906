"""The generic database helper: one Database per option group and history."""

from oslo_config import cfg

from heat_watch import opts
from heat_watch.common import db
from heat_watch.watch.storage import connection


def _conf(tmp_path, *databases: db.Database) -> cfg.ConfigOpts:
    conf = opts.register_all(cfg.ConfigOpts())
    for database in databases:  # a database heat_watch does not list
        group, options = database.list_opts()
        conf.register_opts(options, group=group)
    conf([], default_config_files=[])
    conf.set_override('state_path', str(tmp_path))
    return conf


def test_two_databases_take_their_own_group_and_default_file(tmp_path):
    other = db.Database('other_database', 'other.sqlite',
                        'heat_watch.watch.storage:migrations', 'other')
    conf = _conf(tmp_path, other)

    assert connection.connection_url(conf).endswith('/watch.sqlite')
    assert other.connection_url(conf).endswith('/other.sqlite')
    conf.set_override('connection', 'sqlite:///%s/elsewhere.sqlite' % tmp_path,
                      group='other_database')
    assert other.connection_url(conf).endswith('/elsewhere.sqlite')
    assert connection.connection_url(conf).endswith('/watch.sqlite')


def test_each_database_is_migrated_by_its_own_history(tmp_path):
    other = db.Database('other_database', 'other.sqlite',
                        'heat_watch.watch.storage:migrations', 'other')
    conf = _conf(tmp_path, other)
    try:
        assert other.db_version(conf) is None
        other.db_sync(conf, revision='002')
        assert other.db_version(conf) == '002'
        assert connection.db_version(conf) is None
    finally:
        db.dispose_engines()


def test_the_option_list_holds_oslo_db_sqlite_and_own_options():
    group, opts = connection.DATABASE.list_opts()
    names = {opt.name for opt in opts}
    assert group == 'watch_database'
    assert {'connection', 'max_pool_size', 'sqlite_cache_size_mb',
            'sqlite_ingest_buffer_rows'} <= names
