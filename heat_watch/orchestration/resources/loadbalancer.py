"""AWS::ElasticLoadBalancing::LoadBalancer as far as this machine can serve
it: with the local compute driver, an HAProxy process per load balancer.

Its configuration (``<state_path>/loadbalancers/<stack id>/<name>/
haproxy.cfg``) has one frontend per listener (``LoadBalancerPort``, TCP or
HTTP) and the members as backend servers on ``InstancePort``; the groups that
name the load balancer in ``LoadBalancerNames`` rewrite it as they change,
and HAProxy is reloaded (``-sf``: the old process finishes its connections).
With another compute driver, or without ``haproxy`` on PATH, a template that
uses it is refused before anything is made, naming the cause.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from typing import Any

from heat_watch.common import exceptions
from heat_watch.orchestration import compute, resource
from heat_watch.orchestration import properties as props

PROTOCOLS = ('HTTP', 'TCP')
BIND_HOST = '127.0.0.1'
START_TIMEOUT = 10.0


def _listeners(values: Any, where: str) -> list[dict]:
    """Listeners as {port, instance_port, mode}; InvalidTemplate when wrong."""
    checked = []
    for item in values or []:
        try:
            port, instance_port = int(item['LoadBalancerPort']), int(item['InstancePort'])
        except (KeyError, TypeError, ValueError):
            raise exceptions.InvalidTemplate('%s.Listeners: each listener has integer '
                                             'LoadBalancerPort and InstancePort' % where)
        protocol = str(item.get('Protocol', 'HTTP')).upper()
        if protocol not in PROTOCOLS:
            raise exceptions.InvalidTemplate('%s.Listeners: Protocol is one of %s, not %s'
                                             % (where, ', '.join(PROTOCOLS), protocol))
        checked.append({'port': port, 'instance_port': instance_port,
                        'mode': protocol.lower()})
    if not checked:
        raise exceptions.InvalidTemplate('%s.Listeners: at least one listener' % where)
    return checked


def haproxy_config(listeners: list[dict], addresses: list[str],
                   health_check: dict | None) -> str:
    """The HAProxy configuration of these listeners and backend addresses."""
    lines = ['global', '    maxconn 4096', '', 'defaults',
             '    timeout connect 5s', '    timeout client 60s', '    timeout server 60s',
             '']
    check = ' check' if health_check else ''
    for index, listener in enumerate(listeners):
        lines += ['frontend listener-%d' % index,
                  '    bind %s:%d' % (BIND_HOST, listener['port']),
                  '    mode %s' % listener['mode'],
                  '    default_backend members-%d' % index, '',
                  'backend members-%d' % index, '    mode %s' % listener['mode'],
                  '    balance roundrobin']
        lines += ['    server member-%d %s:%d%s' % (n, address, listener['instance_port'],
                                                    check)
                  for n, address in enumerate(addresses)]
        lines.append('')
    return '\n'.join(lines)


class LoadBalancer(resource.Resource):
    """AWS::ElasticLoadBalancing::LoadBalancer served by HAProxy."""

    description = 'A load balancer in front of servers (HAProxy, local compute driver).'
    properties_schema = {
        'Listeners': props.Property(props.LIST, 'LoadBalancerPort, InstancePort, Protocol '
                                    '(HTTP or TCP).', required=True),
        'HealthCheck': props.Property(props.MAP, 'Target, Interval, Timeout, ... (any: '
                                      'HAProxy checks the members\' ports).'),
        'Instances': props.Property(props.LIST, 'Server ids behind it.', default=[],
                                    update_allowed=True),
        'AvailabilityZones': props.Property(props.LIST, 'Zones (accepted).', default=[]),
        'Subnets': props.Property(props.LIST, 'Subnets (accepted).', default=[]),
        'SecurityGroups': props.Property(props.LIST, 'Security groups (accepted).',
                                         default=[]),
        'AppCookieStickinessPolicy': props.Property(props.ANY, 'Accepted, not applied.'),
        'LBCookieStickinessPolicy': props.Property(props.ANY, 'Accepted, not applied.'),
    }
    attributes_schema = {
        'DNSName': 'The address it listens on.',
        'CanonicalHostedZoneName': 'The address it listens on.',
        'CanonicalHostedZoneNameID': 'Its physical id.',
        'SourceSecurityGroup.GroupName': 'Empty (no security groups here).',
        'SourceSecurityGroup.OwnerAlias': 'Empty.',
    }

    def check_literal_properties(self, where: str, values: dict) -> None:
        """InvalidTemplate, before anything is made, when this deployment
        cannot serve a load balancer."""
        driver = self.stack.runtime.conf[compute.GROUP].compute_driver
        if driver != 'local':
            raise exceptions.InvalidTemplate(
                '%s: AWS::ElasticLoadBalancing::LoadBalancer needs the local compute '
                'driver (an HAProxy process on this machine); this orchestrator uses '
                '"%s"' % (where, driver))
        if shutil.which('haproxy') is None:
            raise exceptions.InvalidTemplate(
                '%s: AWS::ElasticLoadBalancing::LoadBalancer needs haproxy on the '
                'orchestrator\'s PATH (apt-get install haproxy)' % where)
        if 'Listeners' in values:
            _listeners(values['Listeners'], where)

    # -- the HAProxy process --

    def _directory(self) -> str:
        return os.path.join(self.stack.runtime.conf.state_path, 'loadbalancers',
                            self.stack.id, self.name)

    def _pid(self) -> int | None:
        try:
            with open(os.path.join(self._directory(), 'haproxy.pid')) as pidfile:
                return int(pidfile.read().split()[0])
        except (OSError, ValueError, IndexError):
            return None

    def _addresses(self, server_ids: list[str]) -> list[str]:
        addresses = []
        for server_id in server_ids:
            server = self.stack.runtime.compute.get_server(server_id)
            if server is not None and server.first_address:
                addresses.append(server.first_address)
        return addresses

    def _run_haproxy(self, config: str) -> None:
        directory = self._directory()
        os.makedirs(directory, exist_ok=True)
        path = os.path.join(directory, 'haproxy.cfg')
        with open(path + '.new', 'w') as out:
            out.write(config)
        checked = subprocess.run(['haproxy', '-c', '-q', '-f', path + '.new'],
                                 capture_output=True, text=True, timeout=30)
        if checked.returncode != 0:
            raise exceptions.ResourceFailure(reason='HAProxy refused its configuration: %s'
                                             % (checked.stderr or checked.stdout).strip())
        os.replace(path + '.new', path)
        old = self._pid()
        command = ['haproxy', '-D', '-f', path, '-p', os.path.join(directory, 'haproxy.pid')]
        if old is not None:
            command += ['-sf', str(old)]  # the old process finishes its connections
        started = subprocess.run(command, capture_output=True, text=True,
                                 timeout=START_TIMEOUT)
        if started.returncode != 0:
            raise exceptions.ResourceFailure(reason='HAProxy did not start: %s'
                                             % (started.stderr or started.stdout).strip())

    def set_members(self, server_ids: list[str]) -> None:
        """Serve these servers (a group calls it when it changes)."""
        self.data['members'] = list(server_ids)
        listeners = _listeners(self.properties['Listeners'],
                               self.stack.properties_path(self.name))
        self._run_haproxy(haproxy_config(listeners, self._addresses(server_ids),
                                         self.properties.get('HealthCheck')))

    def _members(self) -> list[str]:
        # Its own Instances, and whatever groups added.
        return list(dict.fromkeys(list(self.properties.get('Instances') or []) +
                                  list(self.data.get('group_members') or [])))

    def set_group_members(self, server_ids: list[str]) -> None:
        """A group's members replace the group's previous ones."""
        self.data['group_members'] = list(server_ids)
        self.set_members(self._members())

    def handle_create(self) -> None:
        self.physical_id = self.stack.physical_name(self.name)
        self.set_members(self._members())

    def handle_update(self, new_properties: dict, changed: set[str]) -> None:
        self.properties = new_properties
        self.set_members(self._members())

    def handle_delete(self) -> None:
        pid = self._pid()
        if pid is not None:
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            deadline = time.monotonic() + START_TIMEOUT
            while time.monotonic() < deadline and _alive(pid):
                time.sleep(0.05)
        shutil.rmtree(self._directory(), ignore_errors=True)

    def needs_replacement(self, changed: set[str]) -> bool:
        return bool(changed - {'Instances'})

    def resolve_attribute(self, name: str) -> Any:
        if name in ('DNSName', 'CanonicalHostedZoneName'):
            return BIND_HOST
        if name == 'CanonicalHostedZoneNameID':
            return self.physical_id
        return ''


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A daemonised HAProxy is not our child; a zombie would still answer.
    try:
        with open('/proc/%d/stat' % pid) as stat:
            return stat.read().split(')')[-1].split()[0] != 'Z'
    except OSError:
        return False
