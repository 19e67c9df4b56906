"""Every configuration snippet of the docs parses, as written, with the
options of every program that reads it (the integration test
test_install_guide starts the daemons on them)."""

import configparser

import pytest
from keystoneauth1 import loading as ks_loading
from keystonemiddleware import auth_token
from oslo_config import cfg
from oslo_log import log

from heat_watch import opts
from heat_watch.common import config
from heat_watch.tests import doc_snippets

CONFIGS = doc_snippets.snippets('config')


def _conf() -> cfg.ConfigOpts:
    """Every option, as each console script registers them before it
    parses its files (config.prepare_service)."""
    conf = opts.register_all(cfg.ConfigOpts())
    log.register_options(conf)
    return conf


def _files(snippet, tmp_path) -> list[str]:
    paths = []
    for i, text in enumerate(doc_snippets.config_texts(snippet)):
        path = tmp_path / ('%d.conf' % i)
        path.write_text(text)
        paths.append(str(path))
    return paths


def test_the_install_guide_has_its_configuration_snippets_marked():
    assert {'production', 'production-postgresql', 'production-keystone'} <= {
        s.name for s in CONFIGS}
    assert doc_snippets.unmarked_config_blocks() == []


@pytest.mark.parametrize('snippet', CONFIGS, ids=[s.name for s in CONFIGS])
def test_config_snippet_parses_with_the_programs_options(snippet, tmp_path):
    conf = _conf()
    argv = [arg for path in _files(snippet, tmp_path) for arg in ('--config-file', path)]
    conf(argv, project=config.PROJECT, default_config_files=[])
    config.check_values(conf)  # what every program does at start-up
    assert conf.config_file == argv[1::2]


def _auth_plugin_options() -> dict[str, set]:
    """Options keystonemiddleware and keystoneauth register when they load
    (a service user's password plugin), not before parsing."""
    plugin = {o.dest for o in ks_loading.get_auth_common_conf_options()}
    plugin |= {o.dest for o in ks_loading.get_auth_plugin_conf_options('password')}
    middleware = {o.dest for _group, opts in auth_token.list_opts() for o in opts}
    return {'keystone_authtoken': plugin | middleware, 'ec2authtoken': plugin}


@pytest.mark.parametrize('snippet', CONFIGS, ids=[s.name for s in CONFIGS])
def test_every_option_of_a_snippet_is_one_a_program_reads(snippet):
    # oslo.config ignores unknown options: a misspelt one would be silently lost.
    known: dict[str, set] = {group: set(names)
                             for group, names in _auth_plugin_options().items()}
    conf = _conf()
    for key in conf:
        item = conf[key]
        if isinstance(item, cfg.ConfigOpts.GroupAttr):
            known.setdefault(key, set()).update(item)
        else:
            known.setdefault('DEFAULT', set()).add(key)
    parser = configparser.ConfigParser(interpolation=None, default_section='__none__')
    parser.read_string(snippet.text)
    for section in parser.sections():
        for option in parser.options(section):
            assert option in known.get(section, set()), '[%s] %s (%s)' % (
                section, option, snippet.source)


def test_a_snippet_with_an_inline_comment_would_be_refused(tmp_path):
    # The check above is the one that refused install.rst's old example.
    conf = _conf()
    path = tmp_path / 'c.conf'
    path.write_text(doc_snippets.by_name('production').text.replace(
        'host = engine-1', 'host = engine-1   # unique per engine'))
    conf(['--config-file', str(path)], project=config.PROJECT, default_config_files=[])
    with pytest.raises(config.BadConfigValue, match=r'\[DEFAULT\] host'):
        config.check_values(conf)
