"""Credentials made before scopes existed keep working, unrestricted."""

import sqlalchemy as sa

from heat_watch import opts
from heat_watch.identity import model
from heat_watch.identity import storage as credential_storage
from heat_watch.watch.storage import connection


def test_credentials_of_revision_004_survive_the_scope_migration(tmp_path):
    from oslo_config import cfg
    conf = cfg.ConfigOpts()
    opts.register_all(conf)
    conf.set_default('state_path', str(tmp_path))
    conf([])
    try:
        connection.db_sync(conf, revision='004')
        engine = connection.get_engine(conf)
        with engine.begin() as conn:
            conn.execute(sa.text(
                "INSERT INTO credentials (access_key, secret_encrypted, project_id, user_id, "
                "description, created_at) VALUES ('old', 'token', 'p1', 'u1', 'd', 5)"))
        connection.db_sync(conf)
        credential = credential_storage.CredentialStore(engine).get('old')
        assert credential == model.Credential(access='old', project_id='p1', user_id='u1',
                                              description='d', created_at=5,
                                              scope=model.UNRESTRICTED,
                                              secret_encrypted='token')
    finally:
        connection.dispose_engines()
