"""--help says what each program is and its main options; --version."""

import importlib.metadata

import pytest

from heat_watch.tests.functional.cmd import support

WHAT = {'heat-watch-engine': ('watch engine', '[watch_database] connection'),
        'heat-watch-api-cloudwatch': ('CloudWatch API', 'bind_port'),
        'heat-watch-notifier': ('executes alarm actions', 'transport_url'),
        'heat-watch-all': ('Every heat_watch service in one process', '--state_path'),
        'heat-watch-manage': ('credentials key-create', '--state_path'),
        'heat-watch-api': ('Ceilometer v2 dialect', 'auth_strategy'),
        'heat-watch-orchestrator': ('orchestration engine', 'compute_driver')}


@pytest.mark.parametrize('script', support.SCRIPTS)
def test_help_describes_the_program_and_its_main_options(script, tmp_path):
    done = support.run(script, '--help', home=str(tmp_path))
    assert done.returncode == 0, done.stderr
    text = ' '.join(done.stdout.split())  # argparse wraps lines
    what, option = WHAT[script]
    assert what in text and option in text
    assert '--config-file' in text and '--version' in text


@pytest.mark.parametrize('script', support.SCRIPTS)
def test_version_prints_the_installed_version(script, tmp_path):
    done = support.run(script, '--version', home=str(tmp_path))
    assert done.returncode == 0, done.stderr
    assert (done.stdout + done.stderr).strip() == importlib.metadata.version('heat_watch')
