"""heat-watch-all inside a WSGI server's single worker process (benchmark only).

``embedded_app:application`` builds, in the worker, what ``heat-watch-all``
runs (the watch engine and the notifier on the in-process transport) and
serves the CloudWatch API through the same application and middleware that
``heat_watch.wsgi.api_cloudwatch`` serves: so that uwsgi, gunicorn and
granian can be measured in the embedded deployment too. The configuration
comes from ``HEAT_WATCH_CONFIG_FILES``; the databases must already be
migrated (``heat-watch-manage db_sync``). Run it with one worker process: the
in-process transport does not cross processes.
"""

from heat_watch import wsgi
from heat_watch.cloudwatch import app as cloudwatch_app
from heat_watch.notifier import service as notifier_service
from heat_watch.watch import service as watch_service

CONF = wsgi.prepare()
_SERVICES = []


def build():
    """Start the engine and the notifier here; the CloudWatch API's app."""
    for service in (watch_service.WatchEngineService(CONF),
                    notifier_service.NotifierService(CONF)):
        service.start()
        _SERVICES.append(service)
    return cloudwatch_app.build_app(CONF)


application = wsgi.PerProcessApp(build)
