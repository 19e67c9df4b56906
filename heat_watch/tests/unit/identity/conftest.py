"""The credential store lives in the watch database: its fixtures serve here."""

from heat_watch.tests.unit.watch.conftest import watch_conf, watch_engine  # noqa: F401
