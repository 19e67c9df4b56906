"""Encryption of stored secrets (credential secret keys) with Fernet.

The key comes from ``[credentials] encryption_key`` or from the key file.
A key file may hold several keys, one per line: the first encrypts, all
decrypt, which is how a key is rotated.
"""

import os

from cryptography import fernet
from oslo_config import cfg

from heat_watch.common import exceptions

GROUP = 'credentials'
OPTS = [
    cfg.StrOpt('encryption_key', secret=True,
               help='Fernet key (urlsafe base64, 32 bytes) that encrypts the '
                    'secret keys in the credential store. Overrides '
                    'encryption_key_file.'),
    cfg.StrOpt('encryption_key_file',
               sample_default='$state_path/credential.key',
               help='File holding one Fernet key per line: the first '
                    'encrypts, all decrypt. Default: credential.key under '
                    'state_path. Created by heat-watch-manage credentials '
                    'key-create (and by heat-watch-all at start-up); the API '
                    'refuses to start without it when auth_backend is local.'),
]


KEY_CREATE_COMMAND = 'heat-watch-manage --config-file FILE credentials key-create'


def register_opts(conf: cfg.ConfigOpts) -> None:
    """Register the [credentials] options."""
    conf.register_opts(OPTS, group=GROUP)


def key_file_path(conf: cfg.ConfigOpts) -> str:
    """Where the key file is (configured or default)."""
    return conf[GROUP].encryption_key_file or os.path.join(
        conf.state_path, 'credential.key')


def ensure_key_file(conf: cfg.ConfigOpts) -> str:
    """Create the key file with a new key if neither key nor file exists."""
    path = key_file_path(conf)
    if conf[GROUP].encryption_key or os.path.exists(path):
        return path
    os.makedirs(os.path.dirname(path) or '.', mode=0o750, exist_ok=True)
    # O_EXCL: two processes starting together must not overwrite each other.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path
    with os.fdopen(fd, 'w') as key_file:
        key_file.write(fernet.Fernet.generate_key().decode() + '\n')
    return path


def _keys(conf: cfg.ConfigOpts) -> list[bytes]:
    if conf[GROUP].encryption_key:
        return [conf[GROUP].encryption_key.encode()]
    path = key_file_path(conf)
    try:
        with open(path) as key_file:
            keys = [line.strip().encode() for line in key_file if line.strip()]
    except OSError as error:
        raise exceptions.ConfigurationError(reason=(
            'cannot read the credential key file %s ([credentials] encryption_key_file): '
            '%s; create it with "%s" (the same file on every node)'
            % (path, error.strerror, KEY_CREATE_COMMAND)))
    if not keys:
        raise exceptions.ConfigurationError(reason=(
            'the credential key file %s ([credentials] encryption_key_file) holds no key; '
            'remove it and run "%s"' % (path, KEY_CREATE_COMMAND)))
    return keys


class SecretBox:
    """Encrypts and decrypts secrets with the configured Fernet keys."""

    def __init__(self, conf: cfg.ConfigOpts):
        # heat-watch-api decrypts a signed URL's secret without having
        # registered [credentials] anywhere else.
        register_opts(conf)
        try:
            self._fernet = fernet.MultiFernet([fernet.Fernet(k) for k in _keys(conf)])
        except ValueError:
            raise exceptions.ConfigurationError(
                reason='the credential encryption key is not a valid Fernet key')

    def encrypt(self, secret: str) -> str:
        """The Fernet token of ``secret``."""
        return self._fernet.encrypt(secret.encode()).decode()

    def decrypt(self, token: str) -> str:
        """The secret inside a token made by :meth:`encrypt`."""
        try:
            return self._fernet.decrypt(token.encode()).decode()
        except fernet.InvalidToken:
            raise exceptions.ConfigurationError(
                reason='a stored secret cannot be decrypted with the configured keys')
