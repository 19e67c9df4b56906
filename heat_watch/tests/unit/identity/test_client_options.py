"""The identity RPC client registers the watch engine's options it reads:
heat-watch-orchestrator runs no watch engine, yet creates stack credentials
through this client (it failed there with NoSuchOptError)."""

from oslo_config import cfg

from heat_watch.common import rpc
from heat_watch.identity import rpcapi


def test_the_client_works_in_a_process_that_registered_no_watch_engine_options():
    conf = cfg.ConfigOpts()
    rpc.set_defaults(conf)
    conf([], default_config_files=[])
    conf.set_override('transport_url', rpc.IN_PROCESS_URL)
    assert 'watch_engine' not in conf
    try:
        client = rpcapi.IdentityClient(conf)
        assert client._client.target.topic == conf.watch_engine.topic
        assert client._client.target.namespace == rpcapi.NAMESPACE
    finally:
        rpc.cleanup(conf)
