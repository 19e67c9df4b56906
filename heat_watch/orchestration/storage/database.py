"""The orchestration database's handle: ``[orchestration_database]`` options,
engine, migrations (through the generic helper of heat_watch.common.db)."""

from heat_watch.common import db

GROUP = 'orchestration_database'
DATABASE = db.Database(group=GROUP, default_file='orchestration.sqlite',
                       migrations='heat_watch.orchestration.storage:migrations',
                       label='orchestration')
