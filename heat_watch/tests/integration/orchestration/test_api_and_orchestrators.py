"""heat-watch-api, heat-watch-engine and two heat-watch-orchestrator
processes over RabbitMQ, on MariaDB and PostgreSQL (databases of their own):

* a scaling policy's pre-signed URL, POSTed over HTTP to the heat-watch-api
  process, reaches an orchestrator and resizes the group; a tampered one is
  refused and changes nothing;
* requests racing on one stack through both orchestrators: of concurrent
  updates exactly one is accepted, the others get a clear "in progress"
  error; concurrent deletes end in one DELETE_COMPLETE stack; no row is left
  IN_PROGRESS or locked;
* a template and properties over 64 KiB (MySQL TEXT's limit) are stored;
* an orchestrator killed (SIGKILL) mid-create on resources with
  ``action_wait_secs``: the survivor takes the stack over, ends it
  CREATE_FAILED with the reason, releases its lock and leaves no resource
  row IN_PROGRESS.

test_orchestrators.py covers the orchestrators alone (nested stacks, event
trimming, cancelling a create); this module adds the API process and the
races between clients.
"""

import concurrent.futures
import contextlib
import signal
import time
import urllib.parse
import uuid

import pytest
import requests
import sqlalchemy as sa

from heat_watch.common import context, db, exceptions, rpc
from heat_watch.orchestration import rpcapi
from heat_watch.tests import templates
from heat_watch.tests.integration import base

STALE_SECONDS = 4.0
START_TIMEOUT = 90.0
BUSY = (exceptions.StackInProgress, exceptions.StackLocked)
GROUP_TEMPLATE = {
    'AWSTemplateFormatVersion': templates.CFN,
    'Resources': {'config': templates.launch_config(),
                  'group': templates.scaling_group('1', '3'),
                  'up': templates.scaling_policy(1)},
    'Outputs': {'size': templates.output({'Fn::GetAtt': ['group', 'CurrentSize']}),
                'up_url': templates.output({'Fn::GetAtt': ['up', 'AlarmUrl']})}}


def _values_template(value: str, count: int = 3, wait: float = 0) -> dict:
    props = {'value': value}
    if wait:
        props['action_wait_secs'] = {'create': wait, 'update': wait, 'delete': 0}
    return {'heat_template_version': '2021-04-16',
            'resources': {'r%d' % i: {'type': 'OS::Heat::TestResource',
                                      'properties': dict(props)} for i in range(count)},
            'outputs': {'value': {'value': {'get_attr': ['r0', 'output']}}}}


@pytest.fixture(scope='module')
def cluster(backend, rabbit_url, tmp_path_factory):
    """heat-watch-api, heat-watch-engine (the identity RPC the orchestrators
    create stack credentials through) and two orchestrators."""
    workdir = str(tmp_path_factory.mktemp('api-orchestrators-%s' % backend.name))
    orch_database = base.unique_name('orchapi_' + backend.name)
    topic = base.unique_name('orchestrator')
    api_port = base.free_port()
    deployment = base.Deployment(backend, workdir, 'apiorch', extra={
        'orchestration_database': {'connection': backend.url(orch_database)},
        'orchestration': {'topic': topic, 'compute_driver': 'fake',
                          'heartbeat_interval': 0.5, 'engine_stale_seconds': STALE_SECONDS,
                          'poll_interval': 0.1, 'rpc_timeout': base.RPC_TIMEOUT,
                          'cancel_wait': 10,
                          'api_endpoint': 'http://127.0.0.1:%d' % api_port},
        'api': {'bind_host': '127.0.0.1', 'bind_port': api_port,
                'auth_strategy': 'noauth'}})
    backend.create(orch_database)
    conf = None
    try:
        deployment.create_database()
        deployment.write_config()
        deployment.manage('db_sync')
        # The first key pair also makes the encryption key every process reads.
        deployment.create_credentials('project-%s' % uuid.uuid4().hex[:8])
        engine_daemon = deployment.start_engine()
        orchestrators = [deployment.spawn('orchestrator-%d' % i, 'heat-watch-orchestrator')
                         for i in (1, 2)]
        api = deployment.spawn('rest-api', 'heat-watch-api')
        # Five processes start at once on a shared machine: more than
        # base.START_TIMEOUT may pass.
        engine_daemon.wait_for_output(r'Watch engine \S+ listening on topic', START_TIMEOUT)
        for daemon in orchestrators:
            daemon.wait_for_output(r'Orchestrator \S+ listening on topic', START_TIMEOUT)
        base.wait_rest_api(api, api_port, START_TIMEOUT)
        conf = base.orchestrator_conf(rabbit_url, topic)
        engine = sa.create_engine(backend.url(orch_database))
        yield {'client': rpcapi.OrchestratorClient(conf), 'orchestrators': orchestrators,
               'db': engine, 'deployment': deployment,
               'api': 'http://127.0.0.1:%d' % api_port}
        engine.dispose()
    finally:
        problems = deployment.teardown()
        if conf is not None:
            rpc.cleanup(conf)
        db.dispose_engines()
        backend.drop(orch_database)
        with contextlib.suppress(Exception):
            base.delete_queues([topic] + ['%s.%s-%s' % (topic, deployment.hostname, d.name)
                                          for d in deployment.daemons
                                          if d.script == 'heat-watch-orchestrator'])
    assert not problems, problems


def _ctxt() -> context.RequestContext:
    return context.RequestContext(project_id='project-%s' % uuid.uuid4().hex[:8],
                                  user_id='user')


def _settled(client, ctxt, ref, timeout: float = 60.0) -> dict:
    def shown():
        stack = client.show_stack(ctxt, ref)
        return stack if stack['status'] != 'IN_PROGRESS' else None
    return base.wait_until(shown, timeout, 0.1, 'stack %s settled' % ref)


def _rows(engine, sql: str, **params) -> list:
    with engine.connect() as conn:
        return [tuple(row) for row in conn.execute(sa.text(sql), params)]


def _assert_clean(engine, stack_id: str) -> None:
    """Nothing half-written: the lock freed (the operation frees it just
    after writing its last state), no resource left IN_PROGRESS."""
    base.wait_until(lambda: _rows(engine, 'SELECT engine_id FROM stacks WHERE id = :id',
                                  id=stack_id) == [(None,)], 10, 0.05,
                    'the lock of stack %s freed' % stack_id)
    assert _rows(engine, "SELECT name, status FROM resources WHERE stack_id = :id "
                         "AND status = 'IN_PROGRESS'", id=stack_id) == []


def _failures(client, ctxt, ref) -> list:
    """The reasons of the stack's FAILED events (for assertion messages)."""
    return [(e['resource_name'], e['resource_status_reason'])
            for e in client.list_events(ctxt, ref) if e['resource_status'] == 'FAILED']


def _outputs(shown: dict) -> dict:
    return {o['output_key']: o['output_value'] for o in shown['outputs']}


def test_a_presigned_policy_url_posted_to_the_api_process_resizes_the_group(cluster):
    client, ctxt = cluster['client'], _ctxt()
    identity = client.create_stack(ctxt, 'web', GROUP_TEMPLATE)
    shown = _settled(client, ctxt, identity['stack_id'])
    assert shown['stack_status'] == 'CREATE_COMPLETE', _failures(client, ctxt, 'web')
    outputs = _outputs(shown)
    assert outputs['size'] == 1
    url = outputs['up_url']
    assert url.startswith(cluster['api'] + '/v1/%s/stacks/web/' % ctxt.project_id)

    # A signature that does not match: 403 in the API's format, no resize.
    parts = urllib.parse.urlsplit(url)
    query = dict(urllib.parse.parse_qsl(parts.query))
    # Another first character (keeping it would forge nothing 1 time in 64).
    query['Signature'] = ('B' if query['Signature'][0] == 'A' else 'A') + query['Signature'][1:]
    forged = urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(query)))
    refused = requests.post(forged, timeout=10)
    assert refused.status_code == 403, refused.text
    assert refused.json()['code'] == 403 and refused.json()['error']['message']

    accepted = requests.post(url, json={}, timeout=base.RPC_TIMEOUT)
    assert accepted.status_code in (200, 202), accepted.text
    base.wait_until(lambda: _outputs(client.show_stack(ctxt, 'web'))['size'] == 2,
                    30, 0.2, 'group grown to 2')
    signals = [(e['resource_status'], e['resource_status_reason'])
               for e in client.list_events(ctxt, 'web', 'up')
               if e['resource_action'] == 'SIGNAL']
    assert len(signals) == 1 and signals[0][0] == 'COMPLETE', signals
    _assert_clean(cluster['db'], identity['stack_id'])

    client.delete_stack(ctxt, 'web')
    assert _settled(client, ctxt, identity['stack_id'])['stack_status'] == 'DELETE_COMPLETE'
    # The stack's credentials went with it: its URL is refused now.
    assert requests.post(url, json={}, timeout=10).status_code == 403


def _race(calls: list) -> list:
    """Run the calls at once (each its own RPC message, so that both
    orchestrators take some); returns each result or exception."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=len(calls)) as pool:
        futures = [pool.submit(call) for call in calls]
        outcomes = []
        for future in futures:
            try:
                outcomes.append(future.result())
            except Exception as error:  # the outcome under test
                outcomes.append(error)
    return outcomes


def test_of_concurrent_updates_exactly_one_is_accepted(cluster):
    client, ctxt, engine = cluster['client'], _ctxt(), cluster['db']
    identity = client.create_stack(ctxt, 'raced', _values_template('v0'))
    stack_id = identity['stack_id']
    assert _settled(client, ctxt, stack_id)['stack_status'] == 'CREATE_COMPLETE'

    for round_ in range(3):
        values = ['r%d-%d' % (round_, i) for i in range(6)]
        outcomes = _race([
            (lambda v=v: client.update_stack(ctxt, stack_id, _values_template(v, wait=1)))
            for v in values])
        accepted = [v for v, o in zip(values, outcomes, strict=True)
                    if not isinstance(o, Exception)]
        refused = [o for o in outcomes if isinstance(o, Exception)]
        assert len(accepted) == 1, outcomes
        assert all(isinstance(o, BUSY) for o in refused), refused
        assert all('in progress' in str(o) or 'busy' in str(o) for o in refused), refused
        shown = _settled(client, ctxt, stack_id)
        assert shown['stack_status'] == 'UPDATE_COMPLETE', shown['stack_status_reason']
        assert _outputs(shown) == {'value': accepted[0]}
        [(stored,)] = _rows(engine, 'SELECT DISTINCT properties FROM resources '
                                    'WHERE stack_id = :id', id=stack_id)
        assert '"%s"' % accepted[0] in stored
        _assert_clean(engine, stack_id)

    client.delete_stack(ctxt, stack_id)
    assert _settled(client, ctxt, stack_id)['stack_status'] == 'DELETE_COMPLETE'


def test_concurrent_deletes_end_in_one_deleted_stack(cluster):
    client, ctxt, engine = cluster['client'], _ctxt(), cluster['db']
    identity = client.create_stack(ctxt, 'doomed', _values_template('x', count=5))
    stack_id = identity['stack_id']
    assert _settled(client, ctxt, stack_id)['stack_status'] == 'CREATE_COMPLETE'

    outcomes = _race([lambda: client.delete_stack(ctxt, stack_id) for _ in range(4)])
    accepted = [o for o in outcomes if not isinstance(o, Exception)]
    assert all(isinstance(o, BUSY) for o in outcomes if o not in accepted), outcomes
    assert accepted, outcomes
    # An accepted delete answers None, or the stack as shown when it ended first.
    assert all(o is None or (o['id'], o['stack_status']) == (stack_id, 'DELETE_COMPLETE')
               for o in accepted), accepted
    shown = _settled(client, ctxt, stack_id)
    assert shown['stack_status'] == 'DELETE_COMPLETE', shown['stack_status_reason']
    assert client.list_stacks(ctxt) == []
    _assert_clean(engine, stack_id)
    # Every resource was deleted once: one DELETE COMPLETE event each.
    done = [e['resource_name'] for e in client.list_events(ctxt, stack_id)
            if (e['resource_action'], e['resource_status']) == ('DELETE', 'COMPLETE')
            and e['resource_name'] != 'doomed']
    assert sorted(done) == ['r%d' % i for i in range(5)]


def test_an_orchestrator_killed_mid_create_is_taken_over_and_nothing_is_left_locked(
        cluster):
    client, ctxt, engine = cluster['client'], _ctxt(), cluster['db']
    template = _values_template('slow', count=4, wait=60)
    identity = client.create_stack(ctxt, 'killed', template)
    stack_id = identity['stack_id']
    [(holder,)] = _rows(engine, 'SELECT engine_id FROM stacks WHERE id = :id', id=stack_id)
    assert holder is not None
    base.wait_until(lambda: _rows(engine, "SELECT count(*) FROM resources WHERE stack_id = "
                                          ":id AND status = 'IN_PROGRESS'", id=stack_id)
                    == [(4,)], 20, 0.1, 'four resources in progress')
    # The running create refuses an update from either orchestrator.
    for _ in range(4):
        with pytest.raises(BUSY):
            client.update_stack(ctxt, stack_id, _values_template('other'))

    [victim] = [d for d in cluster['orchestrators'] if holder.startswith(
        '%s-%s-' % (cluster['deployment'].hostname, d.name))]
    killed_at = time.monotonic()
    victim.signal(signal.SIGKILL)
    assert victim.wait(10) == -signal.SIGKILL

    shown = _settled(client, ctxt, stack_id, timeout=STALE_SECONDS * 10)
    assert time.monotonic() - killed_at < STALE_SECONDS * 10
    assert shown['stack_status'] == 'CREATE_FAILED'
    assert shown['stack_status_reason'] == 'Engine %s went down during stack CREATE' % holder
    _assert_clean(engine, stack_id)
    statuses = _rows(engine, 'SELECT action, status FROM resources WHERE stack_id = :id',
                     id=stack_id)
    assert statuses == [('CREATE', 'FAILED')] * 4
    # The survivor acts on the stack: it deletes it.
    client.delete_stack(ctxt, stack_id)
    assert _settled(client, ctxt, stack_id)['stack_status'] == 'DELETE_COMPLETE'
    _assert_clean(engine, stack_id)
    # The victim's heartbeat row no longer matters: no stack names it.
    assert _rows(engine, 'SELECT count(*) FROM stacks WHERE engine_id = :e', e=holder) == [
        (0,)]


def test_a_template_and_properties_over_64_kib_are_stored(cluster):
    # MySQL's TEXT ends at 64 KiB: a 1,000-resource template failed there.
    client, ctxt, engine = cluster['client'], _ctxt(), cluster['db']
    value = 'x' * 70_000
    identity = client.create_stack(ctxt, 'large', _values_template(value, count=1))
    shown = _settled(client, ctxt, identity['stack_id'])
    assert shown['stack_status'] == 'CREATE_COMPLETE', _failures(client, ctxt, 'large')
    assert _outputs(shown) == {'value': value}
    assert client.get_template(ctxt, 'large') == _values_template(value, count=1)
    client.delete_stack(ctxt, 'large')
    assert _settled(client, ctxt, identity['stack_id'])['stack_status'] == 'DELETE_COMPLETE'
    _assert_clean(engine, identity['stack_id'])
