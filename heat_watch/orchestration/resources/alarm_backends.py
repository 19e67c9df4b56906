"""Where OS::Aodh::Alarm, OS::Ceilometer::Alarm and OS::Aodh::CompositeAlarm
make their alarms: ``[orchestration] alarm_backend``.

* ``watch`` (the default): the watch engine, over its RPC client, in the
  stack's project; the alarm's actions run through heat_watch's notifier.
* an ``http(s)://`` URL: an external Aodh, through python-aodhclient
  (``pip install heat-watch[aodh]``), authenticated as the cloud user of
  the ``[nova]`` options, in that user's project. Aodh keeps the rule as the
  template wrote it (meter_name, query, ...): the Aodh release must still
  evaluate such ``threshold`` rules (they went with Ceilometer's API).

A backend that cannot work (an unknown value, aodhclient missing) fails the
resource with a reason naming the option; nothing is half made.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from oslo_config import cfg

from heat_watch.common import context as hw_context
from heat_watch.common import exceptions
from heat_watch.orchestration import clients
from heat_watch.watch import model

if TYPE_CHECKING:
    from heat_watch.orchestration.runtime import Runtime

GROUP = 'orchestration'
WATCH = 'watch'
OPTS = [
    cfg.StrOpt('alarm_backend', default=WATCH,
               help='Where OS::Aodh::Alarm, OS::Ceilometer::Alarm and '
                    'OS::Aodh::CompositeAlarm make their alarms: "watch" (the watch '
                    'engine, over RPC) or the http(s) URL of an external Aodh (needs '
                    'python-aodhclient; authenticates with the [nova] cloud '
                    'credentials).'),
]
_lock = threading.Lock()


class AlarmBackend:
    """Creates, updates, reads and deletes alarms; ids are the backend's."""

    def create(self, definition: model.AlarmDefinition, aodh_body: dict) -> str:
        raise NotImplementedError

    def update(self, alarm_id: str, definition: model.AlarmDefinition,
               aodh_body: dict) -> None:
        raise NotImplementedError

    def delete(self, alarm_id: str) -> None:
        raise NotImplementedError


class WatchBackend(AlarmBackend):
    """The watch engine (over RPC), in the stack's project."""

    def __init__(self, runtime: Runtime, ctxt: hw_context.RequestContext):
        self.client = clients.watch(runtime)
        self.ctxt = ctxt

    def create(self, definition: model.AlarmDefinition, aodh_body: dict) -> str:
        return self.client.create_alarm(self.ctxt, definition).definition.id

    def update(self, alarm_id: str, definition: model.AlarmDefinition,
               aodh_body: dict) -> None:
        self.client.update_alarm(self.ctxt, alarm_id, definition)

    def delete(self, alarm_id: str) -> None:
        try:
            self.client.delete_alarm(self.ctxt, alarm_id)
        except exceptions.NotFound:
            pass  # already gone: deleting is done


class AodhBackend(AlarmBackend):
    """An external Aodh through python-aodhclient."""

    def __init__(self, conf: cfg.ConfigOpts, endpoint: str):
        try:
            from aodhclient import client as aodh_client
        except ImportError:
            raise exceptions.ResourceFailure(
                reason='[orchestration] alarm_backend names an external Aodh (%s) but '
                       'python-aodhclient is not installed (pip install heat-watch[aodh]), '
                       'or set alarm_backend = watch' % endpoint)
        from heat_watch.orchestration.compute import nova
        session = nova.NovaDriver(conf)._conn().session
        self.client = aodh_client.Client('2', session=session, endpoint_override=endpoint)
        self.errors = _aodh_errors()

    def _call(self, what: str, func, *args, **kwargs) -> Any:
        try:
            return func(*args, **kwargs)
        except self.errors as error:
            raise exceptions.ResourceFailure(reason='Aodh: %s: %s' % (what, error))

    def create(self, definition: model.AlarmDefinition, aodh_body: dict) -> str:
        return self._call('creating alarm %s' % definition.name, self.client.alarm.create,
                          dict(aodh_body, name=definition.name))['alarm_id']

    def update(self, alarm_id: str, definition: model.AlarmDefinition,
               aodh_body: dict) -> None:
        self._call('updating alarm %s' % alarm_id, self.client.alarm.update, alarm_id,
                   dict(aodh_body, name=definition.name))

    def delete(self, alarm_id: str) -> None:
        from aodhclient import exceptions as aodh_exc
        try:
            self.client.alarm.delete(alarm_id)
        except aodh_exc.NotFound:
            pass
        except self.errors as error:
            raise exceptions.ResourceFailure(reason='Aodh: deleting alarm %s: %s'
                                             % (alarm_id, error))


def _aodh_errors() -> tuple[type[BaseException], ...]:
    from aodhclient import exceptions as aodh_exc
    from keystoneauth1 import exceptions as ks_exc
    return (aodh_exc.ClientException, ks_exc.ClientException)


def get(runtime: Runtime, ctxt: hw_context.RequestContext) -> AlarmBackend:
    """The backend ``[orchestration] alarm_backend`` names."""
    chosen = (runtime.conf[GROUP].alarm_backend or WATCH).strip()
    if chosen == WATCH:
        return WatchBackend(runtime, ctxt)
    if chosen.startswith(('http://', 'https://')):
        with _lock:
            backend = getattr(runtime, '_aodh_backend', None)
            if backend is None:
                backend = AodhBackend(runtime.conf, chosen)
                runtime._aodh_backend = backend
        return backend
    raise exceptions.ResourceFailure(
        reason='[orchestration] alarm_backend is "watch" or the http(s) URL of an Aodh, '
               'not %r' % chosen)
