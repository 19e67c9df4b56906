"""Choosing the credential backend of the CloudWatch API (stevedore)."""

from keystoneauth1 import loading as ks_loading
from keystoneauth1 import session as ks_session
from oslo_config import cfg
from stevedore import driver

from heat_watch.cloudwatch.auth import keystone, local
from heat_watch.common import crypto
from heat_watch.identity import rpcapi as identity_rpcapi

NAMESPACE = 'heat_watch.cloudwatch.auth'

KEYSTONE_GROUP = 'ec2authtoken'
KEYSTONE_OPTS = [
    cfg.URIOpt('auth_uri', help='Keystone v3 endpoint that verifies EC2 signatures '
                                '(POST {auth_uri}/ec2tokens), e.g. http://keystone:5000/v3.'),
    cfg.FloatOpt('timeout', default=10.0, min=0.1,
                 help='Seconds to wait for Keystone.'),
    cfg.StrOpt('cafile', help='CA bundle that verifies Keystone\'s certificate.'),
    cfg.StrOpt('certfile', help='Client certificate for Keystone.'),
    cfg.StrOpt('keyfile', help='Private key of the client certificate.'),
    cfg.BoolOpt('insecure', default=False,
                help='Do not verify Keystone\'s certificate (testing only).'),
]
LOCAL_OPTS = [
    cfg.IntOpt('credential_cache_ttl', default=60, min=0,
               help='Seconds a decrypted credential stays cached in the API; '
                    'a deleted credential works at most this long.'),
]


def local_authenticator(conf: cfg.ConfigOpts) -> local.LocalAuthenticator:
    """heat_watch's own credential store (the standalone default)."""
    return local.LocalAuthenticator(identity_rpcapi.IdentityClient(conf),
                                    crypto.SecretBox(conf),
                                    conf.cloudwatch_api.credential_cache_ttl)


def keystone_authenticator(conf: cfg.ConfigOpts) -> keystone.KeystoneEC2Authenticator:
    """Keystone's ec2tokens backend (clouds with Keystone)."""
    group = conf[KEYSTONE_GROUP]
    if not group.auth_uri:
        from heat_watch.common import exceptions
        raise exceptions.ConfigurationError(
            reason='[ec2authtoken] auth_uri is required with auth_backend = keystone')
    verify = False if group.insecure else (group.cafile or True)
    return keystone.KeystoneEC2Authenticator(
        group.auth_uri, timeout=group.timeout, verify=verify,
        certfile=group.certfile, keyfile=group.keyfile,
        service_token=_service_token(conf, verify, group))


def _service_token(conf: cfg.ConfigOpts, verify, group):
    """A callable returning the service user's token ([ec2authtoken]
    auth_type and its options), None when no auth_type is configured."""
    auth = ks_loading.load_auth_from_conf_options(conf, KEYSTONE_GROUP)
    if auth is None:
        return None
    cert = (group.certfile, group.keyfile) if group.certfile and group.keyfile \
        else group.certfile
    session = ks_session.Session(auth=auth, verify=verify, cert=cert, timeout=group.timeout)
    # keystoneauth caches the token and fetches a new one before it expires.
    return lambda: auth.get_token(session)


def load(conf: cfg.ConfigOpts):
    """The configured authenticator: ``[cloudwatch_api] auth_backend``."""
    manager = driver.DriverManager(NAMESPACE, conf.cloudwatch_api.auth_backend,
                                   invoke_on_load=True, invoke_args=(conf,))
    return manager.driver
