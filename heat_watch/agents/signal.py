"""heat-watch-signal: cfn-signal's options, POSTing a wait-condition (or
any resource) signal to its pre-signed URL.

The body is CloudFormation's: {"Status": "SUCCESS"|"FAILURE", "Reason",
"UniqueId", "Data"}. The status is FAILURE when ``--success false`` or a
non-zero ``--exit-code`` is given; the UniqueId defaults to the instance's
id from cfn-hup.conf, else the host name.
"""

from __future__ import annotations

import argparse
import socket
import sys

from heat_watch.agents import client, config


def parser() -> argparse.ArgumentParser:
    """cfn-signal's options."""
    p = argparse.ArgumentParser(prog='heat-watch-signal',
                                description=__doc__.split('\n\n')[0])
    p.add_argument('-s', '--success', default='true',
                   help='true (SUCCESS) or false (FAILURE); default true.')
    p.add_argument('-r', '--reason', default='', help='Why, in words.')
    p.add_argument('-d', '--data', default='', help='Data handed to the stack.')
    p.add_argument('-i', '--id', dest='unique_id', help='UniqueId of this signal.')
    p.add_argument('-e', '--exit-code', type=int, default=0,
                   help='A command\'s exit code: non-zero means FAILURE.')
    p.add_argument('--config-dir', help='Directory of cfn-hup.conf (for the default id).')
    p.add_argument('url', help='The pre-signed URL (a WaitConditionHandle\'s Ref).')
    return p


def body(args: argparse.Namespace, default_id: str) -> dict:
    """The signal's JSON body."""
    success = args.success.strip().lower() in ('true', 'yes', '1') and args.exit_code == 0
    reason = args.reason or ('' if success or not args.exit_code
                             else 'exit code %d' % args.exit_code)
    return {'Status': 'SUCCESS' if success else 'FAILURE', 'Reason': reason,
            'UniqueId': args.unique_id or default_id, 'Data': args.data}


def main(argv: list[str] | None = None) -> int:
    """The console script."""
    args = parser().parse_args(argv)
    try:
        default_id = config.load(args.config_dir).instance_id or socket.gethostname()
        client.post_signal(args.url, body(args, default_id))
    except (client.AgentError, config.AgentConfigError) as error:
        print('heat-watch-signal: %s' % error, file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
