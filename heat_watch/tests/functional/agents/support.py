"""What the agents' functional tests share: a heat-watch-all deployment
with the local compute driver whose instances find the agents on PATH, and
running an agent as an instance would."""

import contextlib
import os
import subprocess
import sys

from heat_watch.tests import services

BIN = os.path.dirname(sys.executable)


@contextlib.contextmanager
def local_deployment(state_path: str, **overrides):
    """heat-watch-all's services in this process, local compute driver;
    instances' scripts find heat-watch-* (this virtualenv's bin) on PATH."""
    path = os.environ.get('PATH', '')
    os.environ['PATH'] = BIN + os.pathsep + path
    options = {'orchestration.compute_driver': 'local',
               'watch_engine.evaluation_interval': 1,
               'cloudwatch_api.credential_cache_ttl': 1}
    options.update(overrides)
    try:
        with services.deployment(state_path, **options) as running:
            yield running
    finally:
        os.environ['PATH'] = path


def server_dir(running, server_id: str) -> str:
    """A local server's directory."""
    return os.path.join(running.conf.state_path, 'servers', server_id)


def run_agent(name: str, *args: str, cfn_dir: str | None = None,
              timeout: float = 60) -> subprocess.CompletedProcess:
    """Run heat-watch-<name> as an instance does (its cfn directory in
    HEAT_WATCH_CFN_DIR)."""
    env = dict(os.environ)
    if cfn_dir:
        env['HEAT_WATCH_CFN_DIR'] = cfn_dir
    return subprocess.run([os.path.join(BIN, 'heat-watch-' + name), *args], env=env,
                          capture_output=True, text=True, timeout=timeout)
