"""WSGI entry point of the CloudWatch API: ``heat_watch.wsgi.api_cloudwatch:application``.

For example, four uwsgi workers (see :mod:`heat_watch.wsgi` for where the
configuration comes from; ``transport_url`` must name the broker the
watch engines listen on)::

    HEAT_WATCH_CONFIG_FILES=/etc/heat_watch/heat_watch.conf \\
        uwsgi --http-socket 127.0.0.1:8003 --processes 4 --threads 8 \\
        --module heat_watch.wsgi.api_cloudwatch:application
"""

from heat_watch import wsgi
from heat_watch.cloudwatch import app as cloudwatch_app

CONF = wsgi.prepare()


def build():
    """The CloudWatch API behind the common middleware, from ``CONF``."""
    return cloudwatch_app.build_app(CONF)


application = wsgi.PerProcessApp(build)
