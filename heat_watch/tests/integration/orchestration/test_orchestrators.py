"""heat-watch-orchestrator as separate processes over RabbitMQ, on MariaDB
and PostgreSQL: stacks created, updated and deleted through the RPC client;
two orchestrators racing on one stack (never two holders), one of them
killed mid-create (the other takes the stack over and ends it FAILED with
the reason)."""

import contextlib
import json
import signal
import uuid

import pytest
import sqlalchemy as sa

from heat_watch.common import context, db, exceptions, rpc
from heat_watch.orchestration import rpcapi
from heat_watch.tests.integration import base

STALE_SECONDS = 5.0  # heartbeats every 0.5 s: a loaded machine is not a dead engine
MAX_EVENTS = 10
NESTED = {'heat_template_version': '2021-04-16',
          'parameters': {'word': {'type': 'string'}},
          'resources': {'inner': {'type': 'OS::Heat::TestResource',
                                  'properties': {'value': {'get_param': 'word'}}}},
          'outputs': {'echo': {'value': {'get_attr': ['inner', 'output']}}}}
SLOW = {'heat_template_version': '2021-04-16', 'resources': {
    'first': {'type': 'OS::Heat::TestResource'},
    'slow': {'type': 'OS::Heat::TestResource', 'depends_on': ['first'],
             'properties': {'wait_secs': 60}}}}


@pytest.fixture(scope='module')
def cluster(backend, rabbit_url, tmp_path_factory):
    """Two orchestrators on a fresh orchestration database, and an RPC client."""
    workdir = str(tmp_path_factory.mktemp('orchestrators-%s' % backend.name))
    orch_database = base.unique_name('orch_' + backend.name)
    topic = base.unique_name('orchestrator')
    deployment = base.Deployment(backend, workdir, 'orchestrators', extra={
        'orchestration_database': {'connection': backend.url(orch_database)},
        'orchestration': {'topic': topic, 'compute_driver': 'fake',
                          'heartbeat_interval': 0.5, 'engine_stale_seconds': STALE_SECONDS,
                          'poll_interval': 0.1, 'rpc_timeout': base.RPC_TIMEOUT,
                          'max_events_per_stack': MAX_EVENTS}})
    backend.create(orch_database)
    conf = None
    try:
        deployment.create_database()
        deployment.write_config()
        synced = deployment.manage('db_sync')
        # heat-watch-manage migrates the orchestration database beside the watch one.
        assert 'orchestration database at revision 002' in synced.stdout.splitlines()
        assert {'stacks', 'resources', 'events', 'engines', 'resource_signals',
                'group_members'} <= backend.tables(orch_database)
        daemons = [deployment.spawn('orchestrator-%d' % i, 'heat-watch-orchestrator')
                   for i in (1, 2)]
        for daemon in daemons:
            daemon.wait_for_output(r'Orchestrator \S+ listening on topic')
        conf = base.orchestrator_conf(rabbit_url, topic)
        engine = sa.create_engine(backend.url(orch_database))
        yield {'client': rpcapi.OrchestratorClient(conf), 'daemons': daemons,
               'db': engine, 'deployment': deployment}
        engine.dispose()
    finally:
        problems = deployment.teardown()
        if conf is not None:
            rpc.cleanup(conf)
        db.dispose_engines()
        backend.drop(orch_database)
        with contextlib.suppress(Exception):
            base.delete_queues([topic] + ['%s.%s-%s' % (topic, deployment.hostname, d.name)
                                          for d in deployment.daemons])
    assert not problems, problems


def _ctxt() -> context.RequestContext:
    return context.RequestContext(project_id='project-%s' % uuid.uuid4().hex[:8],
                                  user_id='user')


def _wait(client, ctxt, ref, timeout=60.0) -> dict:
    return base.wait_until(lambda: (lambda s: s if s['status'] != 'IN_PROGRESS' else None)(
        client.show_stack(ctxt, ref)), timeout, 0.1, 'stack %s settled' % ref)


def _holder(engine, stack_id) -> str | None:
    with engine.connect() as conn:
        return conn.execute(sa.text('SELECT engine_id FROM stacks WHERE id = :id'),
                            {'id': stack_id}).scalar()


def test_stacks_are_created_updated_and_deleted_over_rabbitmq(cluster):
    client, ctxt = cluster['client'], _ctxt()
    template = {'heat_template_version': '2021-04-16',
                'parameters': {'v': {'type': 'string'}},
                'resources': {
                    'a': {'type': 'OS::Heat::TestResource',
                          'properties': {'value': {'get_param': 'v'}}},
                    'server': {'type': 'OS::Nova::Server',
                               'properties': {'image': 'cirros', 'flavor': 'm1.tiny'}},
                    'nested': {'type': 'OS::Heat::Stack', 'properties': {
                        'template': json.dumps(NESTED),
                        'parameters': {'word': {'get_attr': ['a', 'output']}}}}},
                'outputs': {'out': {'value': {'get_attr': ['a', 'output']}},
                            'nested': {'value': {'get_attr': ['nested', 'outputs', 'echo']}}}}
    identity = client.create_stack(ctxt, 'remote', template, params={'v': 'one'})
    shown = _wait(client, ctxt, identity['stack_id'])
    assert shown['stack_status'] == 'CREATE_COMPLETE', shown['stack_status_reason']
    assert {o['output_key']: o['output_value'] for o in shown['outputs']} == {
        'out': 'one', 'nested': 'one'}
    assert len(client.list_stacks(ctxt, show_nested=True)) == 2
    client.update_stack(ctxt, 'remote', params={'v': 'two'}, patch=True)
    shown = _wait(client, ctxt, 'remote')
    assert shown['stack_status'] == 'UPDATE_COMPLETE', shown['stack_status_reason']
    assert {o['output_key']: o['output_value'] for o in shown['outputs']} == {
        'out': 'two', 'nested': 'two'}
    # Older events were trimmed when the update ended (a DELETE on this server).
    events = client.list_events(ctxt, 'remote')
    assert len(events) == MAX_EVENTS
    assert (events[-1]['resource_name'], events[-1]['resource_status']) == ('remote',
                                                                             'COMPLETE')
    with pytest.raises(exceptions.StackNotFound):
        client.show_stack(_ctxt(), 'remote')
    client.delete_stack(ctxt, 'remote')
    assert _wait(client, ctxt, identity['stack_id'])['stack_status'] == 'DELETE_COMPLETE'
    assert client.list_stacks(ctxt, show_nested=True) == []


def test_a_delete_cancels_a_create_whichever_orchestrator_runs_it(cluster):
    client, ctxt, engine = cluster['client'], _ctxt(), cluster['db']
    cancelled = {'heat_template_version': '2021-04-16', 'resources': {
        'slow': {'type': 'OS::Heat::TestResource',
                 'properties': {'action_wait_secs': {'create': 60}}}}}
    # Several stacks: the deletes land on one orchestrator or the other, so
    # that some cancel their create over RPC on the other one.
    ids = [client.create_stack(ctxt, 'hurried-%d' % i, cancelled)['stack_id']
           for i in range(4)]
    holders = {_holder(engine, stack_id) for stack_id in ids}
    # The two orchestrators take the calls in turn: one call more shifts the
    # turns so that each delete goes to the orchestrator not running the create.
    client.list_stacks(ctxt)
    for stack_id in ids:
        client.delete_stack(ctxt, stack_id)
    for stack_id in ids:
        shown = _wait(client, ctxt, stack_id, timeout=30)
        assert shown['stack_status'] == 'DELETE_COMPLETE', shown['stack_status_reason']
        reasons = [e['resource_status_reason'] for e in client.list_events(ctxt, stack_id)
                   if e['resource_status'] == 'FAILED']
        assert any('Operation cancelled' in reason for reason in reasons), reasons
    assert None not in holders
    assert any('Asking orchestrator' in d.output() for d in cluster['daemons'])


def test_racing_orchestrators_never_share_a_stack_and_a_killed_one_is_taken_over(cluster):
    client, ctxt, engine = cluster['client'], _ctxt(), cluster['db']
    identity = client.create_stack(ctxt, 'contested', SLOW)
    stack_id = identity['stack_id']
    holder = _holder(engine, stack_id)
    assert holder is not None
    # Both orchestrators answer requests on the topic: each is refused.
    for _ in range(6):
        with pytest.raises((exceptions.StackLocked, exceptions.StackInProgress)):
            client.update_stack(ctxt, stack_id, SLOW)
        assert _holder(engine, stack_id) == holder
    base.wait_until(lambda: any(r['resource_name'] == 'slow'
                                and r['resource_status'] == 'IN_PROGRESS'
                                for r in client.list_resources(ctxt, stack_id)),
                    20, 0.1, 'slow resource in progress')

    [victim] = [d for d in cluster['daemons'] if holder.startswith(
        '%s-%s-' % (cluster['deployment'].hostname, d.name))]
    victim.signal(signal.SIGKILL)
    victim.wait(10)

    seen = set()

    def settled():
        seen.add(_holder(engine, stack_id))
        shown = client.show_stack(ctxt, stack_id)
        return shown if shown['status'] != 'IN_PROGRESS' else None

    shown = base.wait_until(settled, STALE_SECONDS * 10, 0.1, 'takeover')
    assert shown['stack_status'] == 'CREATE_FAILED'
    assert shown['stack_status_reason'] == \
        'Engine %s went down during stack CREATE' % holder
    # The lock only ever went from the victim to the survivor (for the takeover).
    [survivor] = [d for d in cluster['daemons'] if d is not victim]
    prefix = '%s-%s-' % (cluster['deployment'].hostname, survivor.name)
    assert all(value in (holder, None) or value.startswith(prefix) for value in seen)
    assert _holder(engine, stack_id) is None
    resources = {r['resource_name']: r for r in client.list_resources(ctxt, stack_id)}
    assert resources['first']['resource_status'] == 'COMPLETE'
    assert resources['slow']['resource_status'] == 'FAILED'
    # The survivor now acts on the stack.
    client.delete_stack(ctxt, stack_id)
    assert _wait(client, ctxt, stack_id)['stack_status'] == 'DELETE_COMPLETE'
