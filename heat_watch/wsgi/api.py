"""WSGI entry point of the REST API for uwsgi or mod_wsgi:
``application`` is built from the configuration files of the process
(``--config-file`` arguments or the default heat_watch.conf)."""

from heat_watch.api import app as api_app
from heat_watch.common import config, rpc


def init_application():
    """The REST API application, its configuration read once."""
    api_app.register_opts(config.CONF)
    rpc.set_defaults()
    conf = config.prepare_service([])
    return api_app.setup_app(conf)


application = init_application()
