"""Process start-up: options every process reads, parsing and logging."""

import gc
import importlib.metadata
import os
import re
import socket

from oslo_config import cfg
from oslo_log import log

CONF = cfg.CONF


def _default_state_path() -> str:
    # Root (a packaged service) keeps state in /var/lib; a user trying
    # heat-watch-all from a checkout keeps it in their home.
    if os.geteuid() == 0:
        return '/var/lib/heat_watch'
    return os.path.join(os.path.expanduser('~'), '.local', 'share', 'heat_watch')


OPTS = [
    cfg.StrOpt('state_path',
               default=_default_state_path(),
               sample_default='/var/lib/heat_watch',
               help='Directory where heat_watch keeps its state: the SQLite '
                    'databases of heat-watch-all and the generated '
                    'credential encryption key.'),
    cfg.HostAddressOpt('host',
                       default=socket.gethostname(),
                       sample_default='<hostname>',
                       help='Name of this node; used as the RPC server name '
                            'and the coordination member id.'),
    cfg.IntOpt('gc_gen0_threshold',
               default=50_000, min=0,
               help="Allocations between two collections of Python's youngest "
                    'garbage-collector generation (Python itself uses 700). A '
                    '1000-datum PutMetricData allocates ~10,000 short-lived, '
                    'acyclic objects; with the default collector they triggered '
                    'collections that cost more than the parsing. 0 keeps '
                    "Python's setting."),
]


# state_path is also a command-line option (see heat_watch.opts.register_all).
CLI_OPTS = OPTS[:1]


PROJECT = 'heat_watch'
_LOG_LEVELS = ['amqp=WARN', 'amqplib=WARN', 'kombu=WARN', 'oslo.messaging=INFO',
               'oslo_messaging=INFO', 'sqlalchemy=WARN', 'stevedore=WARN',
               'urllib3.connectionpool=WARN', 'cheroot=WARN', 'tooz=WARN',
               'alembic=WARN']


def version() -> str:
    """The installed heat_watch's version."""
    try:
        return importlib.metadata.version(PROJECT)
    except importlib.metadata.PackageNotFoundError:
        return 'unknown'


def prepare_service(argv: list[str] | None = None, conf: cfg.ConfigOpts = CONF,
                    default_config_files: list[str] | None = None,
                    description: str | None = None) -> cfg.ConfigOpts:
    """Parse the command line and configuration files, check every value
    read from a file, set up logging.

    ``description`` is what ``--help`` says the program is.
    """
    # Imported here: heat_watch.opts imports every service, which import this.
    from heat_watch import opts
    opts.register_all(conf)
    log.register_options(conf)
    log.set_defaults(default_log_levels=log.get_default_log_levels() + _LOG_LEVELS)
    conf(argv if argv is not None else [], project=PROJECT, version=version(),
         default_config_files=default_config_files, description=description)
    check_values(conf)
    log.setup(conf, PROJECT)
    tune_gc(conf.gc_gen0_threshold)
    return conf


def tune_gc(gen0_threshold: int) -> None:
    """Collect the young generation less often (0: leave Python's setting)."""
    if gen0_threshold:
        _, gen1, gen2 = gc.get_threshold()
        gc.set_threshold(gen0_threshold, gen1, gen2)


class BadConfigValue(cfg.ConfigSourceValueError):
    """A value in a configuration file that the option cannot take."""

    def __init__(self, group: str, name: str, where: str, reason: str):
        super().__init__('[%s] %s in %s: %s' % (group, name, where, reason))


# oslo.config keeps everything after '=' as the value, an inline comment
# included: "host = engine-1   # unique" is the host "engine-1   # unique".
_INLINE_COMMENT = re.compile(r'\s[#;]')
_COMMENT_HINT = ('oslo.config takes everything after "=" as the value: put comments on '
                 'lines of their own')


def _check_value(conf: cfg.ConfigOpts, group: str | None, name: str) -> None:
    label = group or 'DEFAULT'
    try:
        where = conf.get_location(name, group)
        if where is None or where.location != cfg.Locations.user:
            return  # only values written in a configuration file
        value = conf[group][name] if group else conf[name]
    except (ValueError, cfg.Error) as error:
        # "Value for option X from LocationInfo(...) is not valid: REASON"
        text = str(error)
        reason = text.split(' is not valid: ', 1)[-1]
        source = text.split("detail='", 1)[-1].split("'", 1)[0] if "detail='" in text else '?'
        if _INLINE_COMMENT.search(reason):
            reason += ' (%s)' % _COMMENT_HINT
        raise BadConfigValue(label, name, source, reason)
    for each in value if isinstance(value, list) else [value]:
        comment = _INLINE_COMMENT.search(each) if isinstance(each, str) else None
        if comment:
            # Only the comment is shown: the value may be a secret.
            raise BadConfigValue(label, name, where.detail, 'the value ends with the comment '
                                 '%r; %s' % (each[comment.start():].strip(), _COMMENT_HINT))


def check_values(conf: cfg.ConfigOpts) -> None:
    """Read every option set in a configuration file once, so that a bad
    value stops the process at start-up with the option's name, not later
    and deep inside whatever reads it first."""
    for key in list(conf):
        # ConfigOpts is a mapping of DEFAULT's options and of groups.
        try:
            item = conf[key]
        except (ValueError, cfg.Error):
            item = None  # a bad DEFAULT value: _check_value says which
        if isinstance(item, cfg.ConfigOpts.GroupAttr):
            for name in list(item):
                _check_value(conf, key, name)
        else:
            _check_value(conf, None, key)
