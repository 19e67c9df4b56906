"""The orchestration database: models, stores per table family, alembic history."""
