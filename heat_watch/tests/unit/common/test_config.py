"""Process-wide settings applied at start-up."""

import gc

import pytest

from heat_watch.common import config


@pytest.fixture
def saved_threshold():
    saved = gc.get_threshold()
    yield saved
    gc.set_threshold(*saved)


def test_the_young_generation_threshold_is_raised(saved_threshold):
    config.tune_gc(12_345)
    assert gc.get_threshold() == (12_345,) + saved_threshold[1:]


def test_zero_keeps_pythons_setting(saved_threshold):
    config.tune_gc(0)
    assert gc.get_threshold() == saved_threshold


def _parse(tmp_path, text: str, opts):
    from oslo_config import cfg
    conf = cfg.ConfigOpts()
    conf.register_cli_opts(config.CLI_OPTS)
    conf.register_opts(opts, group='demo')
    path = tmp_path / 'demo.conf'
    path.write_text(text)
    conf(['--config-file', str(path)], default_config_files=[])
    return conf, str(path)


def test_inline_comment_after_a_secret_is_refused_without_showing_the_secret(tmp_path):
    from oslo_config import cfg
    conf, path = _parse(tmp_path, '[demo]\npassword = hunter2   # the admin one\n',
                        [cfg.StrOpt('password', secret=True)])
    with pytest.raises(config.BadConfigValue) as raised:
        config.check_values(conf)
    message = str(raised.value)
    assert message.startswith('[demo] password in %s: ' % path)
    assert "'# the admin one'" in message and 'hunter2' not in message


def test_typed_value_with_a_comment_names_option_file_and_cause(tmp_path):
    from oslo_config import cfg
    conf, path = _parse(tmp_path, '[demo]\nport = 8003 ; the API\n', [cfg.PortOpt('port')])
    with pytest.raises(config.BadConfigValue) as raised:
        config.check_values(conf)
    assert str(raised.value).startswith('[demo] port in %s: ' % path)
    assert 'comments on lines of their own' in str(raised.value)


def test_values_without_comments_and_urls_with_fragments_pass(tmp_path):
    from oslo_config import cfg
    conf, _ = _parse(tmp_path, '[demo]\nurl = http://h/p#frag\nport = 8003\n',
                     [cfg.StrOpt('url'), cfg.PortOpt('port')])
    config.check_values(conf)
    assert (conf.demo.url, conf.demo.port) == ('http://h/p#frag', 8003)
