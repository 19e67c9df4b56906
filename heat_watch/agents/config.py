"""The files an instance's agents read, in heat-cfntools' formats.

* ``cfn-credentials``: ``AWSAccessKeyId=...`` and ``AWSSecretKey=...`` lines
  (mode 0600), as cfn-push-stats and cfn-hup read them;
* ``cfn-hup.conf``: an ini file whose ``[main]`` section is cfn-hup's
  (``stack``, ``credential-file``, ``region``, ``interval``) plus what
  heat_watch's agents need to find the services: ``cloudwatch_endpoint``,
  ``metadata_url``, ``instance_id``, ``autoscaling_group``, ``cpu_scope``;
* ``hooks.conf`` and ``hooks.d/*.conf``: cfn-hup's hooks (optional).

The compute drivers write the first two (:func:`render_files`); the agents
read them (:func:`load`). The directory is ``/etc/cfn`` on a real
instance; the local driver uses the server's own directory and tells its
processes with ``HEAT_WATCH_CFN_DIR``.
"""

from __future__ import annotations

import configparser
import dataclasses
import io
import os

DEFAULT_DIR = '/etc/cfn'
DIR_ENV = 'HEAT_WATCH_CFN_DIR'
CREDENTIALS_FILE = 'cfn-credentials'
MAIN_FILE = 'cfn-hup.conf'


class AgentConfigError(Exception):
    """A configuration or credential file is missing or malformed."""


@dataclasses.dataclass
class AgentConfig:
    """What the agents of one instance know about where they run."""

    stack: str | None = None
    credential_file: str | None = None
    region: str | None = None
    interval: float = 10.0  # seconds between two metadata polls (heat-watch-hup)
    cloudwatch_endpoint: str | None = None
    metadata_url: str | None = None
    instance_id: str | None = None
    autoscaling_group: str | None = None
    cpu_scope: str = 'system'  # 'session': the CPU of this instance's processes only


def config_dir(explicit: str | None = None) -> str:
    """The directory of the agents' files: explicit, else $HEAT_WATCH_CFN_DIR,
    else /etc/cfn."""
    return explicit or os.environ.get(DIR_ENV) or DEFAULT_DIR


def render_files(credentials: dict, instance_id: str, directory: str,
                 cpu_scope: str = 'system') -> dict[str, tuple[str, int]]:
    """The files (name -> (text, mode)) that give an instance its stack
    credential and endpoints; ``directory`` is where they will be."""
    secret_file = os.path.join(directory, CREDENTIALS_FILE)
    main = configparser.ConfigParser(interpolation=None)
    main['main'] = {key: str(value) for key, value in {
        'stack': credentials.get('stack_id'), 'credential-file': secret_file,
        'region': credentials.get('region'), 'interval': '10',
        'cloudwatch_endpoint': credentials.get('cloudwatch_endpoint'),
        'metadata_url': credentials.get('metadata_url'), 'instance_id': instance_id,
        'autoscaling_group': credentials.get('autoscaling_group'),
        'cpu_scope': cpu_scope}.items() if value}
    text = io.StringIO()
    main.write(text)
    return {CREDENTIALS_FILE: ('AWSAccessKeyId=%s\nAWSSecretKey=%s\n' % (
        credentials['access'], credentials['secret']), 0o600),
        MAIN_FILE: (text.getvalue(), 0o644)}


def read_credentials(path: str) -> tuple[str, str]:
    """(access, secret) of a cfn-credentials file."""
    values = {}
    try:
        with open(path) as source:
            for line in source:
                key, sep, value = line.strip().partition('=')
                if sep:
                    values[key.strip()] = value.strip()
    except OSError as error:
        raise AgentConfigError('cannot read the credential file %s: %s' % (path, error))
    if not values.get('AWSAccessKeyId') or not values.get('AWSSecretKey'):
        raise AgentConfigError('%s lacks AWSAccessKeyId or AWSSecretKey' % path)
    return values['AWSAccessKeyId'], values['AWSSecretKey']


def load(directory: str | None = None) -> AgentConfig:
    """The [main] section of cfn-hup.conf in ``directory`` (an empty
    configuration when the file is absent: options may give everything)."""
    path = os.path.join(config_dir(directory), MAIN_FILE)
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read(path)
    except configparser.Error as error:
        raise AgentConfigError('%s: %s' % (path, error))
    if not parser.has_section('main'):
        return AgentConfig()
    main = parser['main']
    try:
        interval = float(main.get('interval', '10'))
    except ValueError:
        raise AgentConfigError('%s: interval is not a number' % path)
    return AgentConfig(stack=main.get('stack'), credential_file=main.get('credential-file'),
                       region=main.get('region'), interval=interval,
                       cloudwatch_endpoint=main.get('cloudwatch_endpoint'),
                       metadata_url=main.get('metadata_url'),
                       instance_id=main.get('instance_id'),
                       autoscaling_group=main.get('autoscaling_group'),
                       cpu_scope=main.get('cpu_scope', 'system'))
