"""The nova compute driver: servers in an OpenStack cloud, through openstacksdk.

Credentials come from ``[nova]`` (a ``cloud`` of clouds.yaml, or the
password-auth options). Kept small: boot (image and flavor by name or id,
user data, string metadata, key pair, zone), status and delete.

A server of a stack receives the stack's instance credential in its user
data: a MIME multipart whose cloud-config part writes
``/etc/cfn/cfn-credentials`` (mode 0600) and ``/etc/cfn/cfn-hup.conf`` (see
:mod:`heat_watch.agents.config`), followed by the template's own user data
(a script part when it starts with ``#!``, cloud-config when it starts with
``#cloud-config``, plain text otherwise), as Heat's HEAT_CFNTOOLS format did.
"""

import base64
import json
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText

import yaml
from oslo_config import cfg
from oslo_log import log

from heat_watch.agents import config as agent_config
from heat_watch.common import exceptions
from heat_watch.orchestration import compute

LOG = log.getLogger(__name__)

GROUP = 'nova'
OPTS = [
    cfg.StrOpt('cloud', help='Name of a cloud in clouds.yaml; when set, the other '
                             'credential options are ignored.'),
    cfg.StrOpt('auth_url', help='Keystone URL (e.g. http://keystone:5000/v3).'),
    cfg.StrOpt('username', help='User the servers are booted as.'),
    cfg.StrOpt('password', secret=True, help='That user\'s password.'),
    cfg.StrOpt('project_name', help='Project the servers are booted in.'),
    cfg.StrOpt('user_domain_name', default='Default', help='Domain of the user.'),
    cfg.StrOpt('project_domain_name', default='Default', help='Domain of the project.'),
    cfg.StrOpt('region_name', help='Region of the compute service.'),
    cfg.StrOpt('network', help='Network to attach servers to (name or id); unset: '
                               'Nova picks ("auto").'),
]
# Nova refuses metadata values longer than this.
_MAX_METADATA_VALUE = 255
_STATUSES = {'ACTIVE': compute.ACTIVE, 'BUILD': compute.BUILD, 'ERROR': compute.ERROR,
             'SHUTOFF': compute.SHUTOFF}


def _metadata(values: dict) -> dict[str, str]:
    """Nova's metadata: strings only, each at most 255 characters (larger
    values, such as the resource metadata cfn-init reads from the metadata
    API instead, are left out)."""
    flat = {}
    for key, value in values.items():
        text = value if isinstance(value, str) else json.dumps(value)
        if len(text) <= _MAX_METADATA_VALUE:
            flat[str(key)[:255]] = text
    return flat


def _part(text: str, subtype: str, filename: str) -> MIMEText:
    part = MIMEText(text, subtype, 'utf-8')
    part.add_header('Content-Disposition', 'attachment', filename=filename)
    return part


def _user_part(user_data: str) -> MIMEText:
    if user_data.startswith('#!'):
        return _part(user_data, 'x-shellscript', 'user-data')
    if user_data.startswith('#cloud-config'):
        return _part(user_data, 'cloud-config', 'user-data.yaml')
    return _part(user_data, 'plain', 'user-data.txt')


def user_data(spec: compute.ServerSpec) -> str | None:
    """The user data Nova boots ``spec`` with: the template's own, preceded
    by the cloud-config that writes the stack credential when there is one."""
    if not spec.credentials:
        return spec.user_data
    files = agent_config.render_files(spec.credentials, '', agent_config.DEFAULT_DIR)
    # Nova tells the instance its id through the metadata service; the
    # agents fall back to it when cfn-hup.conf names none.
    cloud_config = {'write_files': [
        {'path': '%s/%s' % (agent_config.DEFAULT_DIR, name), 'content': text,
         'permissions': '0%o' % mode, 'owner': 'root:root'}
        for name, (text, mode) in sorted(files.items())]}
    message = MIMEMultipart()
    message.attach(_part('#cloud-config\n' + yaml.safe_dump(cloud_config), 'cloud-config',
                         'cfn-credentials.yaml'))
    if spec.user_data:
        message.attach(_user_part(spec.user_data))
    return message.as_string()


class NovaDriver(compute.ComputeDriver):
    """Boots servers in Nova."""

    delivers_credentials = True

    def __init__(self, conf: cfg.ConfigOpts):
        super().__init__(conf)
        self._connection = None

    def _conn(self):
        if self._connection is None:
            import openstack
            options = self.conf[GROUP]
            if options.cloud:
                self._connection = openstack.connect(cloud=options.cloud)
            else:
                self._connection = openstack.connection.Connection(
                    auth_url=options.auth_url, username=options.username,
                    password=options.password, project_name=options.project_name,
                    user_domain_name=options.user_domain_name,
                    project_domain_name=options.project_domain_name,
                    region_name=options.region_name)
        return self._connection

    def _call(self, what: str, func, *args, **kwargs):
        from openstack import exceptions as os_exc
        try:
            return func(*args, **kwargs)
        except os_exc.ResourceNotFound as error:
            raise exceptions.ResourceFailure(reason='%s: %s' % (what, error))
        except os_exc.SDKException as error:
            raise exceptions.ResourceFailure(reason='Nova: %s: %s' % (what, error))

    def create_server(self, spec: compute.ServerSpec) -> str:
        conn = self._conn()
        image = self._call('image %s' % spec.image, conn.image.find_image, spec.image,
                           ignore_missing=False)
        flavor = self._call('flavor %s' % spec.flavor, conn.compute.find_flavor, spec.flavor,
                            ignore_missing=False)
        network = self.conf[GROUP].network
        kwargs = {'name': spec.name, 'image_id': image.id, 'flavor_id': flavor.id,
                  'metadata': _metadata(spec.metadata),
                  'networks': [{'uuid': network}] if network else 'auto'}
        data = user_data(spec)
        if data:
            kwargs['user_data'] = base64.b64encode(data.encode()).decode()
        if spec.key_name:
            kwargs['key_name'] = spec.key_name
        if spec.availability_zone:
            kwargs['availability_zone'] = spec.availability_zone
        server = self._call('create server', conn.compute.create_server, **kwargs)
        LOG.info('Nova server %s (%s) booting', server.id, spec.name)
        return server.id

    def get_server(self, server_id: str) -> compute.ServerInfo | None:
        from openstack import exceptions as os_exc
        try:
            server = self._conn().compute.get_server(server_id)
        except os_exc.ResourceNotFound:
            return None
        except os_exc.SDKException as error:
            raise exceptions.ResourceFailure(reason='Nova: show server: %s' % error)
        fault = (server.fault or {}).get('message') if server.fault else None
        return compute.ServerInfo(server.id, server.name,
                                  _STATUSES.get(server.status, compute.BUILD),
                                  server.addresses or {}, fault)

    def set_metadata(self, server_id: str, metadata: dict) -> None:
        self._call('set server metadata', self._conn().compute.set_server_metadata,
                   server_id, **_metadata(metadata))

    def delete_server(self, server_id: str) -> None:
        self._call('delete server', self._conn().compute.delete_server, server_id,
                   ignore_missing=True)
