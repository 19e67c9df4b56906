"""heat-watch-hup: cfn-hup for heat_watch. Polls resource metadata with the
stack's instance credential and runs the hooks of its configuration when
what they watch changes.

Configuration (cfn-hup's files, in ``--config`` / $HEAT_WATCH_CFN_DIR /
/etc/cfn): ``cfn-hup.conf``'s ``[main]`` (``stack``, ``credential-file``,
``interval`` in seconds, ``metadata_url``), and hooks in ``hooks.conf`` and
``hooks.d/*.conf``::

    [restart-app]
    triggers=post.add,post.update,post.remove
    path=Resources.LaunchConfig.Metadata.AWS::CloudFormation::Init
    action=/usr/local/bin/reconfigure
    runas=root

``path`` is ``Resources.<resource>.Metadata`` optionally followed by keys
into the metadata (split on dots; a key holding dots, such as
``AWS::CloudFormation::Init``, is matched whole first). The first poll only
records what it sees (the instance has just been configured from it); from
then on a value that appears fires ``post.add``, one that changes
``post.update``, one that disappears ``post.remove``. What was last seen is
kept in ``hup-state.json`` beside the configuration (``--state-file``).
"""

from __future__ import annotations

import argparse
import configparser
import dataclasses
import glob
import json
import logging
import os
import re
import subprocess
import sys
import time

from heat_watch.agents import client, config

LOG = logging.getLogger('heat-watch-hup')
TRIGGERS = ('post.add', 'post.update', 'post.remove')
_ABSENT = object()


@dataclasses.dataclass
class Hook:
    """One section of hooks.conf."""

    name: str
    triggers: tuple[str, ...]
    resource: str
    keys: tuple[str, ...]
    action: str
    runas: str | None = None


def parse_path(path: str) -> tuple[str, tuple[str, ...]]:
    """(resource, keys) of ``Resources.<resource>.Metadata[.key...]``."""
    match = re.fullmatch(r'Resources\.([^.]+)\.Metadata(?:\.(.+))?', path.strip())
    if match is None:
        raise config.AgentConfigError('hook path %r is not Resources.<name>.Metadata[...]'
                                      % path)
    rest = match.group(2)
    return match.group(1), tuple(rest.split('.')) if rest else ()


def load_hooks(directory: str) -> list[Hook]:
    """The hooks of hooks.conf and hooks.d/*.conf."""
    files = [os.path.join(directory, 'hooks.conf')] + sorted(
        glob.glob(os.path.join(directory, 'hooks.d', '*.conf')))
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read(files)
    except configparser.Error as error:
        raise config.AgentConfigError('hooks: %s' % error)
    hooks = []
    for name in parser.sections():
        section = parser[name]
        triggers = tuple(t.strip() for t in section.get('triggers', 'post.update').split(',')
                         if t.strip())
        unknown = set(triggers) - set(TRIGGERS)
        if unknown or not section.get('path') or not section.get('action'):
            raise config.AgentConfigError(
                'hook %s needs path and action, and triggers among %s'
                % (name, ', '.join(TRIGGERS)))
        resource, keys = parse_path(section['path'])
        hooks.append(Hook(name, triggers, resource, keys, section['action'],
                          section.get('runas')))
    return hooks


def select(metadata: object, keys: tuple[str, ...]) -> object:
    """The value at ``keys`` in ``metadata`` (_ABSENT when there is none); a
    key is tried whole with the dots that follow it first (longest first)."""
    if not keys:
        return metadata
    if not isinstance(metadata, dict):
        return _ABSENT
    for end in range(len(keys), 0, -1):
        key = '.'.join(keys[:end])
        if key in metadata:
            return select(metadata[key], keys[end:])
    return _ABSENT


def trigger_of(before: object, after: object) -> str | None:
    """The cfn-hup trigger a change from ``before`` to ``after`` is."""
    if before is _ABSENT and after is not _ABSENT:
        return 'post.add'
    if before is not _ABSENT and after is _ABSENT:
        return 'post.remove'
    if before != after:
        return 'post.update'
    return None


def resource_url(metadata_url: str, resource: str) -> str:
    """The metadata URL of another resource of the same stack."""
    return re.sub(r'/resources/[^/]+/metadata$', '/resources/%s/metadata' % resource,
                  metadata_url)


def run_action(hook: Hook) -> int:
    """Run a hook's action (as ``runas`` when root); returns its exit code."""
    command = ['/bin/sh', '-c', hook.action]
    if hook.runas and os.geteuid() == 0 and hook.runas != 'root':
        command = ['su', '-s', '/bin/sh', '-c', hook.action, hook.runas]
    LOG.info('Hook %s: running %s', hook.name, hook.action)
    code = subprocess.call(command)
    if code:
        LOG.warning('Hook %s exited with %d', hook.name, code)
    return code


class Watcher:
    """Polls the metadata the hooks watch and fires them."""

    def __init__(self, directory: str, state_file: str | None = None):
        settings = config.load(directory)
        if not settings.metadata_url:
            raise config.AgentConfigError('cfn-hup.conf in %s names no metadata_url'
                                          % directory)
        credential_file = settings.credential_file or os.path.join(
            directory, config.CREDENTIALS_FILE)
        self.access, self.secret = config.read_credentials(credential_file)
        self.metadata_url = settings.metadata_url
        self.interval = settings.interval
        self.hooks = load_hooks(directory)
        self.state_file = state_file or os.path.join(directory, 'hup-state.json')
        self.seen = self._load_state()

    def _load_state(self) -> dict | None:
        try:
            with open(self.state_file) as source:
                return json.load(source)
        except (OSError, ValueError):
            return None

    def _save_state(self, state: dict) -> None:
        with open(self.state_file + '.new', 'w') as out:
            json.dump(state, out)
        os.replace(self.state_file + '.new', self.state_file)

    def poll(self) -> list[tuple[str, str]]:
        """One round: read, compare, fire; returns the (hook, trigger) fired."""
        documents = {}
        for resource in sorted({hook.resource for hook in self.hooks}):
            documents[resource] = client.get_metadata(
                resource_url(self.metadata_url, resource), self.access, self.secret)
        fired = []
        if self.seen is not None:
            for hook in self.hooks:
                before = select(self.seen.get(hook.resource, _ABSENT), hook.keys)
                trigger = trigger_of(before, select(documents[hook.resource], hook.keys))
                if trigger in hook.triggers:
                    run_action(hook)
                    fired.append((hook.name, trigger))
        self.seen = documents
        self._save_state(documents)
        return fired


def parser() -> argparse.ArgumentParser:
    """cfn-hup's options."""
    p = argparse.ArgumentParser(prog='heat-watch-hup', description=__doc__.split('\n\n')[0])
    p.add_argument('-c', '--config', help='Configuration directory (default: '
                   '$HEAT_WATCH_CFN_DIR, else /etc/cfn).')
    p.add_argument('-f', '--no-daemon', action='store_true',
                   help='Accepted for cfn-hup compatibility (it always runs in the '
                        'foreground).')
    p.add_argument('-v', '--verbose', action='store_true', help='Log each poll.')
    p.add_argument('--once', action='store_true', help='Poll once and exit.')
    p.add_argument('--state-file', help='Where what was last seen is kept.')
    return p


def main(argv: list[str] | None = None) -> int:
    """The console script."""
    args = parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose or not args.once
                        else logging.WARNING,
                        format='%(asctime)s %(name)s %(levelname)s %(message)s')
    try:
        watcher = Watcher(config.config_dir(args.config), args.state_file)
        while True:
            try:
                watcher.poll()
            except client.AgentError as error:
                if args.once:
                    raise
                LOG.warning('%s', error)
            if args.once:
                return 0
            time.sleep(watcher.interval)
    except (client.AgentError, config.AgentConfigError, OSError) as error:
        print('heat-watch-hup: %s' % error, file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0


if __name__ == '__main__':
    sys.exit(main())
