"""The HTTP server runs only on the cheroot it was tested with."""

import os
import re

import cheroot
from cheroot import connections
from cheroot import server as cheroot_server

from heat_watch.common import wsgi

REQUIREMENTS = os.path.join(os.path.dirname(wsgi.__file__), '..', '..', 'requirements.txt')


def test_the_installed_cheroot_is_a_tested_release():
    series = '.'.join(cheroot.__version__.split('.')[:2])
    assert series in wsgi.TESTED_CHEROOT, (
        'cheroot %s is not a release heat_watch.common.wsgi was tested with (%s): it '
        'overrides cheroot internals. Run the HTTP tests (unit/common/test_wsgi.py, '
        'test_simple_http.py, functional/test_slow_clients.py, test_bench_leanclient.py) '
        'with it, then add its series to TESTED_CHEROOT and requirements.txt.'
        % (cheroot.__version__, ', '.join(wsgi.TESTED_CHEROOT)))


def test_requirements_pin_cheroot_below_the_next_untested_series():
    with open(REQUIREMENTS) as requirements:
        [line] = [text.strip() for text in requirements if text.startswith('cheroot')]
    upper = re.search(r'<\s*([0-9.]+)', line)
    assert upper, 'requirements.txt must bound cheroot from above: %s' % line
    newest = max(tuple(int(part) for part in series.split('.'))
                 for series in wsgi.TESTED_CHEROOT)
    assert tuple(int(part) for part in upper.group(1).split('.')[:2]) == (
        newest[0], newest[1] + 1), line


def test_the_cheroot_internals_the_server_overrides_are_still_there():
    for owner, name in ((cheroot_server.HTTPConnection, 'communicate'),
                        (cheroot_server.HTTPServer, 'process_conn'),
                        (cheroot_server.HTTPServer, 'put_conn'),
                        (connections.ConnectionManager, 'put'),
                        (connections.ConnectionManager, '_expire')):
        assert callable(getattr(owner, name, None)), '%s.%s' % (owner.__name__, name)
    assert hasattr(cheroot_server, 'MakeFile')
