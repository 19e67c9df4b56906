"""WSGI entry point of the REST API: ``heat_watch.wsgi.api:application``.

The configuration comes from where :mod:`heat_watch.wsgi` says (the
environment, or the default heat_watch.conf), read once per process; each
worker builds its own application, with its own message-bus connection, on
its first request::

    HEAT_WATCH_CONFIG_FILES=/etc/heat_watch/heat_watch.conf \\
        uwsgi --http-socket 127.0.0.1:8004 --processes 4 --threads 8 \\
        --module heat_watch.wsgi.api:application
"""

from heat_watch import wsgi
from heat_watch.api import app as api_app

CONF = wsgi.prepare()


def build():
    """The REST API application from ``CONF``."""
    return api_app.setup_app(CONF)


application = wsgi.PerProcessApp(build)
