"""The option list the config generator reads is complete and loadable."""

import ast
import json
import os
import pathlib
import subprocess
import sys

from oslo_config import cfg

from heat_watch import opts

# Where registering is the point: the one list, oslo.messaging's library
# options, and heat-watch-manage's sub-command parser.
REGISTERING_MODULES = {'opts.py', 'common/rpc.py', 'cmd/manage.py'}
REGISTER_CALLS = {'register_opt', 'register_opts', 'register_cli_opt', 'register_cli_opts'}


def _registering_calls(path: pathlib.Path) -> list[str]:
    tree = ast.parse(path.read_text())
    return ['%s:%d' % (path, node.lineno) for node in ast.walk(tree)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            and node.func.attr in REGISTER_CALLS]


def test_options_are_registered_only_from_the_one_list():
    package = pathlib.Path(opts.__file__).parent
    offenders = [call for path in package.rglob('*.py')
                 if 'tests' not in path.relative_to(package).parts
                 and str(path.relative_to(package)) not in REGISTERING_MODULES
                 for call in _registering_calls(path)]
    assert offenders == []


def test_every_listed_option_is_registered_and_readable():
    conf = opts.register_all(cfg.ConfigOpts())
    conf([], default_config_files=[])
    for group, options in opts.list_opts():
        if group == 'ec2authtoken':
            continue  # the password plugin's options are registered on load
        for opt in options:
            section = conf if group == 'DEFAULT' else conf[group]
            getattr(section, opt.dest)  # raises if it was not registered
    # Registering again (a test, then a service on the same object) is harmless.
    opts.register_all(conf)


def test_the_sample_configuration_is_generated(tmp_path):
    sample = tmp_path / 'heat_watch.conf.sample'
    subprocess.run([sys.executable, '-m', 'oslo_config.generator', '--namespace', 'heat_watch',
                    '--output-file', str(sample)], check=True, capture_output=True)
    text = sample.read_text()
    for section in ('[cloudwatch_api]', '[watch_engine]', '[watch_database]', '[credentials]',
                    '[ec2authtoken]', '[coordination]'):
        assert section in text
    assert 'bind_port = 8003' in text


def test_every_process_reads_every_group_whatever_it_runs(tmp_path):
    # heat-watch-orchestrator makes credentials through the identity client
    # (which reads [watch_engine]) and heat-watch-api decrypts signed URLs'
    # secrets ([credentials]): each once failed with NoSuchOptError when
    # options were registered by the services that ran. (A process of its
    # own: prepare_service sets up logging.)
    program = ('import json; from oslo_config import cfg; from heat_watch.common import config;'
               'conf = config.prepare_service([], cfg.ConfigOpts(), default_config_files=[]);'
               'print(json.dumps([conf.watch_engine.topic, conf.credentials.encryption_key_file,'
               ' sorted(g for g in conf if isinstance(conf[g], cfg.ConfigOpts.GroupAttr))]))')
    done = subprocess.run([sys.executable, '-c', program], capture_output=True, text=True,
                          check=True, env={**os.environ, 'HOME': str(tmp_path)})
    topic, key_file, groups = json.loads(done.stdout.strip().splitlines()[-1])
    assert topic and key_file is None
    assert {'watch_engine', 'credentials', 'orchestration', 'api', 'cloudwatch_api', 'notifier',
            'watch_database', 'orchestration_database'} <= set(groups)
