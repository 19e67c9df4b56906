"""The option list the config generator reads is complete and loadable."""

import subprocess
import sys

from oslo_config import cfg

from heat_watch import opts
from heat_watch.cmd import all as all_in_one
from heat_watch.common import rpc


def test_every_registered_heat_watch_option_is_in_the_generator_list():
    conf = cfg.ConfigOpts()
    all_in_one.register_opts(conf)
    rpc.set_defaults(conf)
    listed = {(group, opt.dest) for group, options in opts.list_opts() for opt in options}
    # oslo.messaging's and oslo.log's groups are listed by their own namespaces.
    groups = [name for name in conf if isinstance(conf[name], cfg.ConfigOpts.GroupAttr)
              and not name.startswith('oslo_')]
    registered = {(group, name) for group in groups for name in conf[group]}
    registered |= {('DEFAULT', 'state_path'), ('DEFAULT', 'host')}
    assert registered - listed == set()


def test_the_sample_configuration_is_generated(tmp_path):
    sample = tmp_path / 'heat_watch.conf.sample'
    subprocess.run([sys.executable, '-m', 'oslo_config.generator', '--namespace', 'heat_watch',
                    '--output-file', str(sample)], check=True, capture_output=True)
    text = sample.read_text()
    for section in ('[cloudwatch_api]', '[watch_engine]', '[watch_database]', '[credentials]',
                    '[ec2authtoken]', '[coordination]'):
        assert section in text
    assert 'bind_port = 8003' in text
