"""Servers through the configured compute driver: OS::Nova::Server and
AWS::EC2::Instance.

The server boots with its user data and with the resource's metadata (what
cfn-init reads); it is complete once the driver reports it ACTIVE (or, for
a local server whose script already ended, SHUTOFF); ERROR fails it.
"""

from typing import Any

from heat_watch.common import exceptions
from heat_watch.orchestration import compute, resource
from heat_watch.orchestration import properties as props


class _Server(resource.Resource):
    """What both server types share."""

    def _spec(self) -> compute.ServerSpec:
        raise NotImplementedError

    def _driver(self) -> compute.ComputeDriver:
        return self.stack.runtime.compute

    def handle_create(self) -> str:
        self.physical_id = self._driver().create_server(self._spec())
        return self.physical_id

    def check_create_complete(self, server_id: str) -> bool:
        server = self._driver().get_server(server_id)
        if server is None:
            raise exceptions.ResourceFailure(reason='Server %s disappeared' % server_id)
        if server.status == compute.ERROR:
            raise exceptions.ResourceFailure(
                reason='Went to status ERROR due to "%s"' % (server.fault or 'unknown'))
        return server.status in (compute.ACTIVE, compute.SHUTOFF)

    def handle_delete(self) -> str | None:
        if self.physical_id:
            self._driver().delete_server(self.physical_id)
        return self.physical_id

    def check_delete_complete(self, server_id: str | None) -> bool:
        return server_id is None or self._driver().get_server(server_id) is None

    def _server(self) -> compute.ServerInfo | None:
        return self._driver().get_server(self.physical_id) if self.physical_id else None

    def _metadata(self) -> dict:
        record = self.stack.stored.get(self.name)
        metadata = record.rsrc_metadata if record is not None else {}
        return {'heat_stack_id': self.stack.id, 'heat_resource_name': self.name,
                'resource_metadata': metadata}

    def _server_metadata(self) -> dict:
        """What the server is given as metadata."""
        raise NotImplementedError

    def handle_metadata_update(self, metadata: Any) -> None:
        if self.physical_id:
            self._driver().set_metadata(self.physical_id, self._server_metadata())

    def handle_update(self, new_properties: dict, changed: set[str]) -> None:
        # Only metadata (OS::Nova::Server) or Tags (AWS::EC2::Instance) change in place.
        self.properties = new_properties
        self._driver().set_metadata(self.physical_id, self._server_metadata())


class NovaServer(_Server):
    """OS::Nova::Server."""

    description = 'A compute server.'
    properties_schema = {
        'name': props.Property(props.STRING, 'Server name (default: a generated one).'),
        'image': props.Property(props.STRING, 'Image name or id.', required=True),
        'flavor': props.Property(props.STRING, 'Flavor name or id.', required=True),
        'key_name': props.Property(props.STRING, 'Key pair name.'),
        'user_data': props.Property(props.STRING, 'User data (a #! script runs on the '
                                    'local driver).', default=''),
        'user_data_format': props.Property(props.STRING, 'How user data is given.',
                                           default='HEAT_CFNTOOLS',
                                           allowed_values=('HEAT_CFNTOOLS', 'RAW',
                                                           'SOFTWARE_CONFIG')),
        'metadata': props.Property(props.MAP, 'Server metadata.', default={},
                                   update_allowed=True),
        'networks': props.Property(props.LIST, 'Networks (the driver decides).', default=[]),
        'availability_zone': props.Property(props.STRING, 'Availability zone.'),
        'security_groups': props.Property(props.LIST, 'Security groups.', default=[]),
        'config_drive': props.Property(props.BOOLEAN, 'Config drive (ignored locally).'),
    }
    attributes_schema = {'name': 'Server name.', 'first_address': 'First IP address.',
                         'addresses': 'Addresses by network.',
                         'networks': 'IP addresses by network name.',
                         'status': 'Server status as the driver reports it.'}

    def _server_metadata(self) -> dict:
        return dict(self._metadata(), **(self.properties.get('metadata') or {}))

    def _spec(self) -> compute.ServerSpec:
        p = self.properties
        return compute.ServerSpec(p.get('name') or self.stack.physical_name(self.name),
                                  p['image'], p['flavor'], p.get('user_data') or None,
                                  self._server_metadata(), p.get('key_name'),
                                  p.get('availability_zone'))

    def resolve_attribute(self, name: str) -> Any:
        server = self._server()
        if server is None:
            return None
        if name == 'addresses':
            return server.addresses
        if name == 'networks':
            return {net: [a.get('addr') for a in addrs]
                    for net, addrs in server.addresses.items()}
        return {'name': server.name, 'first_address': server.first_address,
                'status': server.status}.get(name)


class Instance(_Server):
    """AWS::EC2::Instance."""

    description = 'A compute instance (CloudFormation).'
    properties_schema = {
        'ImageId': props.Property(props.STRING, 'Image name or id.', required=True),
        'InstanceType': props.Property(props.STRING, 'Flavor name.', required=True),
        'KeyName': props.Property(props.STRING, 'Key pair name.'),
        'UserData': props.Property(props.STRING, 'User data.', default=''),
        'AvailabilityZone': props.Property(props.STRING, 'Availability zone.'),
        'SecurityGroups': props.Property(props.LIST, 'Security groups.', default=[]),
        'SecurityGroupIds': props.Property(props.LIST, 'Security group ids.', default=[]),
        'SubnetId': props.Property(props.STRING, 'Subnet.'),
        'Tags': props.Property(props.LIST, 'Tags (Key, Value).', default=[],
                               update_allowed=True),
        'NetworkInterfaces': props.Property(props.LIST, 'Network interfaces.', default=[]),
    }
    attributes_schema = {'AvailabilityZone': 'Availability zone.',
                         'PrivateDnsName': 'Private DNS name (the address).',
                         'PublicDnsName': 'Public DNS name (the address).',
                         'PrivateIp': 'Private IP address.', 'PublicIp': 'Public IP address.'}

    def _server_metadata(self) -> dict:
        tags = {t.get('Key'): t.get('Value') for t in self.properties.get('Tags') or []
                if isinstance(t, dict)}
        return dict(self._metadata(), **tags)

    def _spec(self) -> compute.ServerSpec:
        p = self.properties
        return compute.ServerSpec(self.stack.physical_name(self.name), p['ImageId'],
                                  p['InstanceType'], p.get('UserData') or None,
                                  self._server_metadata(), p.get('KeyName'),
                                  p.get('AvailabilityZone'))

    def resolve_attribute(self, name: str) -> Any:
        if name == 'AvailabilityZone':
            return self.properties.get('AvailabilityZone') or \
                self._driver().availability_zones()[0]
        server = self._server()
        return server.first_address if server is not None else None
