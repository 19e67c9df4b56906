"""Alembic environment of the orchestration database (engine passed by db_sync)."""

from alembic import context

from heat_watch.orchestration.storage import models


def run_migrations_online() -> None:
    engine = context.config.attributes['engine']
    with engine.begin() as connection:
        context.configure(connection=connection,
                          target_metadata=models.Base.metadata,
                          render_as_batch=True)
        context.run_migrations()


run_migrations_online()
