"""heat-tempest-plugin's API gabbits (vendored under gabbits/, unchanged)
run with gabbi against heat-watch-all's /v1.

Each file runs as one ordered gabbi suite (later tests use earlier ones'
URLs). A test this API does not pass is listed in KNOWN_REFUSALS with the
reason (see doc/source/heat_api.rst): the test asserts that exactly those
fail, so a regression, or an unexpected pass, fails here.
"""

import os
import shutil
import unittest

import pytest
from gabbi import driver

from heat_watch.tests.functional.api.v1 import gabbi_fixtures

GABBITS = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'gabbits')
PROJECT = 'admin'  # noauth's project when only X-Auth-Token is sent

# gabbi test name -> why this API refuses it.
KNOWN_REFUSALS: dict[str, dict[str, str]] = {}
# No software configs or deployments here: every request of this file is
# refused with a 404 (later tests then lack the ids earlier ones would make).
REFUSED_FILE = 'softwareconfig'


def _run(name: str, url: str, workdir: str) -> unittest.TestResult:
    directory = os.path.join(workdir, name)
    os.makedirs(directory)
    shutil.copy(os.path.join(GABBITS, name + '.yaml'), directory)
    suite = driver.build_tests(directory, unittest.TestLoader(), url=url,
                               fixture_module=gabbi_fixtures,
                               test_loader_name='heat_watch_gabbits')
    result = unittest.TestResult()
    suite.run(result)
    return result


def _short(name: str, test) -> str:
    """The gabbi test's own name: heat_watch_gabbits.{file}_{test}.test_request."""
    return test.id().split('.')[1][len(name) + 1:]


@pytest.mark.parametrize('name', ['stacks', 'resources', 'resourcetypes', 'templates',
                                  'environments'])
def test_heat_tempest_plugin_gabbits(name, rest_endpoint, tmp_path):
    result = _run(name, '%s/v1/%s' % (rest_endpoint, PROJECT), str(tmp_path))
    failed = {_short(name, test): text for test, text in result.failures + result.errors}
    assert set(failed) == set(KNOWN_REFUSALS.get(name, {})), {
        k: v[-1500:] for k, v in failed.items()}
    assert not result.skipped and result.testsRun >= 3, result.testsRun


def test_software_configs_are_refused_with_a_heat_404(rest_endpoint, tmp_path):
    result = _run(REFUSED_FILE, '%s/v1/%s' % (rest_endpoint, PROJECT), str(tmp_path))
    failed = {_short(REFUSED_FILE, test): text
              for test, text in result.failures + result.errors}
    # The others fail for want of the config the first one would have made.
    assert len(failed) == result.testsRun > 1
    assert "'404' not found in ['200']" in failed['create_software_config']
    assert '"type": "HTTPNotFound"' in failed['create_software_config']
