"""SecretBox registers the [credentials] options it reads: heat-watch-api
verifies pre-signed signal URLs with it and registered them nowhere else
(every signal URL was a 500 in that process)."""

from cryptography import fernet
from oslo_config import cfg

from heat_watch.common import crypto


def test_a_box_reads_the_key_file_of_a_configuration_without_credentials_options(tmp_path):
    key = tmp_path / 'credential.key'
    key.write_text(fernet.Fernet.generate_key().decode() + '\n')
    conf = cfg.ConfigOpts()
    conf.register_opt(cfg.StrOpt('state_path'))
    config_file = tmp_path / 'api.conf'
    config_file.write_text('[credentials]\nencryption_key_file = %s\n' % key)
    conf([], default_config_files=[str(config_file)])
    assert 'credentials' not in conf
    box = crypto.SecretBox(conf)
    assert box.decrypt(box.encrypt('s3cret')) == 's3cret'
    assert fernet.Fernet(key.read_text().strip().encode()).decrypt(
        box.encrypt('x').encode()) == b'x'
