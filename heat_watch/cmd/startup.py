"""What every console script shares: failures to start as one line.

A daemon that cannot start (a missing or unparsable configuration file, a
bad value, a port in use, a database it cannot reach, no credential key)
prints one line on stderr, saying what to change, and exits with status 1:
an operator reads the line, not a traceback.
"""

import errno
import re
import sys
from collections.abc import Callable

import sqlalchemy.exc
from oslo_config import cfg
from oslo_db import exception as db_exception
from stevedore import exception as stevedore_exception

from heat_watch.common import exceptions

_LISTEN_ERRORS = (errno.EADDRINUSE, errno.EACCES, errno.EADDRNOTAVAIL)
_ERRNO_IN_TEXT = re.compile(r'\[Errno (\d+)\] ([^)]*)')


class StartupError(Exception):
    """A reason not to start, worded for the operator, on one line."""


def listen_error(error: OSError, host: str, port: int, group: str) -> Exception:
    """A StartupError for a port that cannot be bound, else ``error`` itself."""
    code, reason = error.errno, error.strerror
    if code is None:
        # cheroot re-raises a failed bind as OSError('No socket could be
        # created -- ((host, port): [Errno 98] Address already in use)').
        found = _ERRNO_IN_TEXT.search(str(error))
        if found:
            code, reason = int(found.group(1)), found.group(2)
    if code not in _LISTEN_ERRORS:
        return error
    return StartupError('cannot listen on %s:%d (%s): set [%s] bind_host and bind_port to '
                        'an address this host has and a port nothing else holds'
                        % (host, port, reason, group))


def _first_line(error: BaseException) -> str:
    text = str(getattr(error, 'inner_exception', None) or error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def describe(error: BaseException) -> str | None:
    """The one line that says what to change, or None for an unexpected error."""
    if isinstance(error, StartupError):
        return str(error)
    if isinstance(error, cfg.ConfigFilesNotFoundError):
        return 'configuration file not found: %s (check --config-file)' % ', '.join(
            error.config_files)
    if isinstance(error, cfg.ConfigFilesPermissionDeniedError):
        return 'configuration file not readable: %s (check its permissions)' % ', '.join(
            error.config_files)
    if isinstance(error, cfg.ConfigFileParseError):
        return 'cannot parse the configuration file %s: %s' % (error.config_file, error.msg)
    if isinstance(error, cfg.ConfigDirNotFoundError):
        return 'configuration directory not found: %s (check --config-dir)' % error.config_dir
    # Bad values; not cfg.Error as a whole, whose other kinds (no such
    # option, duplicate option) are bugs that deserve their traceback.
    if isinstance(error, (cfg.ConfigSourceValueError, cfg.RequiredOptError)):
        return 'configuration: %s' % _first_line(error)
    if isinstance(error, db_exception.DBNonExistentTable):
        return ('the watch database has no schema yet (%s): run heat-watch-manage db_sync '
                'with the same configuration first' % _first_line(error))
    if isinstance(error, (db_exception.DBConnectionError, sqlalchemy.exc.OperationalError)):
        return ('cannot reach the watch database: %s; check [watch_database] connection '
                'and that the database server is running' % _first_line(error))
    if isinstance(error, stevedore_exception.NoMatches):
        return 'configuration: %s' % _first_line(error)
    if isinstance(error, exceptions.HeatWatchError):
        return str(error)
    if isinstance(error, OSError) and error.filename:
        # A directory or file the configuration names cannot be made or read.
        return ('cannot use %s: %s; check the paths of the configuration (state_path, '
                '[credentials] encryption_key_file, log_dir, log_file)'
                % (error.filename, error.strerror))
    return None


def run(program: str, body: Callable[[], int]) -> int:
    """Run a console script's ``body``; a failure to start is one line."""
    try:
        return body()
    except Exception as error:
        line = describe(error)
        if line is None:
            raise
        print('%s: %s' % (program, line), file=sys.stderr, flush=True)
        return 1
