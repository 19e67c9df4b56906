"""Plugin selection by URL scheme, through the setup.cfg entry points."""

import pytest
from oslo_config import cfg

from heat_watch import opts
from heat_watch.notifier import base, log, rest


@pytest.fixture
def registry():
    conf = cfg.ConfigOpts()
    opts.register_all(conf)
    conf(args=[], default_config_files=[])
    return base.NotifierRegistry(conf)


def test_supported_schemes_are_the_installed_plugins():
    assert base.supported_schemes() == {'log', 'http', 'https'}


@pytest.mark.parametrize('scheme, plugin_class', [
    ('log', log.LogNotifier), ('http', rest.RestNotifier), ('https', rest.RestNotifier),
    ('HTTPS', rest.RestNotifier)])
def test_each_scheme_loads_its_plugin(registry, scheme, plugin_class):
    assert type(registry.get(scheme)) is plugin_class


def test_a_plugin_is_loaded_once_and_reused(registry):
    assert registry.get('http') is registry.get('http')


@pytest.mark.parametrize('scheme', ['ftp', 'mailto', ''])
def test_an_unknown_scheme_is_a_permanent_error_naming_the_supported_ones(registry, scheme):
    with pytest.raises(base.PermanentError) as raised:
        registry.get(scheme)
    assert 'unsupported action scheme %r' % scheme in str(raised.value)
    assert 'http, https, log' in str(raised.value)
