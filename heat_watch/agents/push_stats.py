"""heat-watch-push-stats: cfn-push-stats' options and metric names,
measured with psutil, every metric of one run in one PutMetricData.

Each metric is sent once per dimension set the instance has: InstanceId and,
in a group, AutoScalingGroupName (CloudWatch matches an alarm's dimensions
exactly, so a group alarm sees the group's series and nothing else). The
CloudWatch endpoint, the instance id and the group come from the instance's
``cfn-hup.conf`` (:mod:`heat_watch.agents.config`); options override them.
Without ``--period`` it pushes once (cron use); with it, every that many
seconds until stopped.
"""

from __future__ import annotations

import argparse
import datetime
import logging
import socket
import sys
import time

from heat_watch.agents import client, config, measure

NAMESPACE = 'system/linux'
LOG = logging.getLogger('heat-watch-push-stats')


def parser() -> argparse.ArgumentParser:
    """cfn-push-stats' options, plus --period, --namespace and the endpoints."""
    p = argparse.ArgumentParser(prog='heat-watch-push-stats', description=__doc__.split(
        '\n\n')[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    add = p.add_argument
    add('-v', '--verbose', action='store_true', help='Log what is sent.')
    add('--credential-file', help='cfn-credentials file (default: the one cfn-hup.conf '
        'names, else /etc/cfn/cfn-credentials).')
    add('--config-dir', help='Directory of cfn-hup.conf (default: $HEAT_WATCH_CFN_DIR, '
        'else /etc/cfn).')
    add('--url', help='CloudWatch API endpoint (default: cfn-hup.conf\'s).')
    add('--namespace', default=NAMESPACE, help='Metric namespace (default system/linux).')
    add('--instance-id', help='InstanceId dimension (default: cfn-hup.conf\'s, else the '
        'host name).')
    add('--autoscaling-group', help='AutoScalingGroupName dimension (default: '
        'cfn-hup.conf\'s).')
    add('--service-failure', action='store_true', help='Report a service failure.')
    add('--mem-util', action='store_true', help='Memory utilization (percent).')
    add('--mem-used', action='store_true', help='Memory used.')
    add('--mem-avail', action='store_true', help='Memory available.')
    add('--swap-util', action='store_true', help='Swap utilization (percent).')
    add('--swap-used', action='store_true', help='Swap used.')
    add('--disk-space-util', action='store_true', help='Disk space utilization (percent).')
    add('--disk-space-used', action='store_true', help='Disk space used.')
    add('--disk-space-avail', action='store_true', help='Disk space available.')
    add('--memory-units', default='megabytes', choices=sorted(measure.UNITS),
        help='Units of the memory metrics.')
    add('--disk-units', default='megabytes', choices=sorted(measure.UNITS),
        help='Units of the disk metrics.')
    add('--disk-path', default='/', help='Path whose file system the disk metrics measure.')
    add('--cpu-util', action='store_true', help='CPU utilization (percent).')
    add('--cpu-scope', choices=('system', 'session'), help='Whose CPU: the machine\'s '
        '(default) or this session\'s (what cfn-hup.conf\'s cpu_scope says).')
    add('--haproxy', action='store_true', help='HAProxy healthy and unhealthy hosts.')
    add('--haproxy-latency', action='store_true', help='HAProxy latency.')
    add('--haproxy-socket', default='/var/lib/haproxy/stats', help='HAProxy stats socket.')
    add('--heartbeat', action='store_true', help='Send a Heartbeat of 1.')
    add('--watch', help='Also tag the metrics with this alarm name (AlarmName '
        'dimension, as Heat\'s watch rules read them).')
    add('--metric', help='A metric of your own: its name (with --units and --value).')
    add('--units', default='None', help='Unit of --metric.')
    add('--value', type=float, help='Value of --metric.')
    add('--period', type=float, help='Push every this many seconds instead of once.')
    return p


def collect(args: argparse.Namespace, cpu: measure.CpuMeter | None) -> dict[str, tuple]:
    """The metrics the options ask for: name -> (value, unit)."""
    values: dict[str, tuple[float, str]] = {}
    if args.service_failure:
        values['ServiceFailure'] = (1.0, 'Count')
    if args.heartbeat:
        values['Heartbeat'] = (1.0, 'Count')
    if args.mem_util or args.mem_used or args.mem_avail:
        mem = measure.memory(args.memory_units)
        for flag, name in (('mem_util', 'MemoryUtilization'), ('mem_used', 'MemoryUsed'),
                           ('mem_avail', 'MemoryAvailable')):
            if getattr(args, flag):
                values[name] = mem[name]
    if args.swap_util or args.swap_used:
        swap = measure.swap(args.memory_units)
        for flag, name in (('swap_util', 'SwapUtilization'), ('swap_used', 'SwapUsed')):
            if getattr(args, flag):
                values[name] = swap[name]
    if args.disk_space_util or args.disk_space_used or args.disk_space_avail:
        disk = measure.disk(args.disk_path, args.disk_units)
        for flag, name in (('disk_space_util', 'DiskSpaceUtilization'),
                           ('disk_space_used', 'DiskSpaceUsed'),
                           ('disk_space_avail', 'DiskSpaceAvailable')):
            if getattr(args, flag):
                values[name] = disk[name]
    if cpu is not None:
        values['CPUUtilization'] = (cpu.read(), 'Percent')
    if args.haproxy or args.haproxy_latency:
        values.update(measure.haproxy(args.haproxy_socket, args.haproxy_latency))
    if args.metric:
        values[args.metric] = (args.value, args.units)
    return values


def dimension_sets(instance_id: str, group: str | None,
                   watch: str | None) -> list[list[tuple[str, str]]]:
    """The dimension sets each metric is sent with."""
    sets = [[('InstanceId', instance_id)]]
    if group:
        sets.append([('AutoScalingGroupName', group)])
    if watch:
        sets.append([('AlarmName', watch)])
    return sets


def metric_data(values: dict[str, tuple], sets: list[list[tuple[str, str]]]) -> list[dict]:
    """One datum per metric and dimension set, all at the same time."""
    now = datetime.datetime.now(datetime.UTC)
    return [{'MetricName': name, 'Value': value, 'Unit': unit, 'Timestamp': now,
             'Dimensions': dims} for name, (value, unit) in sorted(values.items())
            for dims in sets]


class Pusher:
    """One instance's settings, resolved once."""

    def __init__(self, args: argparse.Namespace):
        settings = config.load(args.config_dir)
        self.args = args
        self.endpoint = args.url or settings.cloudwatch_endpoint
        if not self.endpoint:
            raise config.AgentConfigError('no CloudWatch endpoint: give --url or set '
                                          'cloudwatch_endpoint in cfn-hup.conf')
        credential_file = (args.credential_file or settings.credential_file
                           or '%s/%s' % (config.DEFAULT_DIR, config.CREDENTIALS_FILE))
        self.access, self.secret = config.read_credentials(credential_file)
        self.sets = dimension_sets(args.instance_id or settings.instance_id
                                   or socket.gethostname(),
                                   args.autoscaling_group or settings.autoscaling_group,
                                   args.watch)
        scope = args.cpu_scope or settings.cpu_scope
        self.cpu = measure.CpuMeter(scope) if args.cpu_util else None

    def push_once(self) -> int:
        """Measure and send; returns how many data were sent."""
        data = metric_data(collect(self.args, self.cpu), self.sets)
        if not data:
            return 0
        client.put_metric_data(self.endpoint, self.access, self.secret,
                               self.args.namespace, data)
        LOG.info('Sent %s', ', '.join('%s=%.2f' % (d['MetricName'], d['Value'])
                                      for d in data[::len(self.sets)]))
        return len(data)


def main(argv: list[str] | None = None) -> int:
    """The console script."""
    args = parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose or args.period else logging.WARNING,
                        format='%(asctime)s %(name)s %(levelname)s %(message)s')
    if args.metric and args.value is None:
        parser().error('--metric needs --value')
    if args.period is not None and args.period <= 0:
        parser().error('--period must be positive')
    try:
        pusher = Pusher(args)
        if args.period is None:
            pusher.push_once()
            return 0
        while True:
            started = time.monotonic()
            try:
                pusher.push_once()
            except (client.AgentError, OSError, ValueError) as error:
                # One lost push must not end an instance's reporting.
                LOG.warning('%s', error)
            time.sleep(max(0.0, args.period - (time.monotonic() - started)))
    except (client.AgentError, config.AgentConfigError, OSError, ValueError) as error:
        print('heat-watch-push-stats: %s' % error, file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0


if __name__ == '__main__':
    sys.exit(main())
