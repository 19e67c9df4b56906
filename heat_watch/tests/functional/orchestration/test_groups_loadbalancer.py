"""AWS::ElasticLoadBalancing::LoadBalancer with the local compute driver: a
real HAProxy process in front of the group's members, its configuration
rewritten as the group changes, stopped with the stack. Requires haproxy
(skipped without it, failed under HEAT_WATCH_REQUIRE_SERVICES=1)."""

import http.server
import os
import shutil
import threading
import uuid

import oslo_messaging as messaging
import pytest
import requests
from cryptography import fernet

from heat_watch.common import crypto, db, rpc
from heat_watch.identity import manager as identity_manager
from heat_watch.identity import storage as credential_storage
from heat_watch.tests import services
from heat_watch.tests.integration import base
from heat_watch.tests.unit.orchestration.conftest import Engine, make_runtime_conf
from heat_watch.watch.storage import connection


def _template(lb_port: int, instance_port: int) -> dict:
    return {'AWSTemplateFormatVersion': '2010-09-09', 'Resources': {
        'lb': {'Type': 'AWS::ElasticLoadBalancing::LoadBalancer', 'Properties': {
            'AvailabilityZones': {'Fn::GetAZs': ''},
            'Listeners': [{'LoadBalancerPort': lb_port, 'InstancePort': instance_port,
                           'Protocol': 'HTTP'}],
            'HealthCheck': {'Target': 'HTTP:%d/' % instance_port, 'Interval': 5,
                            'Timeout': 2, 'HealthyThreshold': 2,
                            'UnhealthyThreshold': 2}}},
        'config': {'Type': 'AWS::AutoScaling::LaunchConfiguration',
                   'Properties': {'ImageId': 'local', 'InstanceType': 'process'}},
        'group': {'Type': 'AWS::AutoScaling::AutoScalingGroup', 'Properties': {
            'LaunchConfigurationName': {'Ref': 'config'}, 'MinSize': 1, 'MaxSize': 3,
            'DesiredCapacity': 2, 'LoadBalancerNames': [{'Ref': 'lb'}]}}},
        'Outputs': {'dns': {'Value': {'Fn::GetAtt': ['lb', 'DNSName']}}}}


class _Hello(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 (http.server's name)
        body = b'hello from a member'
        self.send_response(200)
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def backend():
    """What the members would serve: an HTTP server on the instance port."""
    server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), _Hello)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()


def _serve_identity(conf):
    """The identity endpoint the local driver's instance credentials come
    from (the watch engine serves it in a deployment)."""
    connection.DATABASE.db_sync(conf)
    store = credential_storage.CredentialStore(connection.DATABASE.get_engine(conf),
                                               lambda: crypto.SecretBox(conf))
    server = rpc.get_server(messaging.Target(topic=conf.watch_engine.topic, server='lb-test'),
                            [identity_manager.IdentityManager(store)], conf)
    server.start()
    return server


@pytest.fixture
def local_engine(tmp_path):
    conf = make_runtime_conf(tmp_path, **{
        'orchestration.compute_driver': 'local', 'transport_url': rpc.IN_PROCESS_URL,
        'watch_engine.topic': 'lb-identity-%s' % uuid.uuid4().hex,
        'credentials.encryption_key': fernet.Fernet.generate_key().decode()})
    identity = _serve_identity(conf)
    running = Engine(conf)
    yield running
    running.runtime.stop()
    identity.stop()
    identity.wait()
    rpc.cleanup(conf)
    db.dispose_engines()


def _server_lines(engine, stack_id: str) -> list[str]:
    path = os.path.join(engine.runtime.conf.state_path, 'loadbalancers', stack_id, 'lb',
                        'haproxy.cfg')
    with open(path) as config:
        return [line for line in config if line.strip().startswith('server ')]


def test_haproxy_serves_the_group_and_follows_its_size(local_engine, backend):
    if shutil.which('haproxy') is None:
        base.unavailable('haproxy is not installed (apt-get install haproxy)')
    lb_port = services.free_port()
    body = _template(lb_port, backend)
    identity = local_engine.ops.create('p1', None, 'lb', body)
    shown = local_engine.wait('lb')
    assert shown['stack_status'] == 'CREATE_COMPLETE', shown['stack_status_reason']
    assert shown['outputs'][0]['output_value'] == '127.0.0.1'
    stack_id = identity['stack_id']
    assert len(_server_lines(local_engine, stack_id)) == 2
    answer = requests.get('http://127.0.0.1:%d/' % lb_port, timeout=10)
    assert answer.status_code == 200 and answer.text == 'hello from a member'

    body['Resources']['group']['Properties']['DesiredCapacity'] = 3
    local_engine.ops.update('p1', 'lb', body)
    shown = local_engine.wait('lb')
    assert shown['stack_status'] == 'UPDATE_COMPLETE', shown['stack_status_reason']
    assert len(_server_lines(local_engine, stack_id)) == 3
    assert requests.get('http://127.0.0.1:%d/' % lb_port, timeout=10).status_code == 200

    local_engine.ops.delete('p1', 'lb')
    assert local_engine.wait(stack_id)['stack_status'] == 'DELETE_COMPLETE'
    with pytest.raises(requests.ConnectionError):
        requests.get('http://127.0.0.1:%d/' % lb_port, timeout=5)

