#!/usr/bin/env python3
"""cheroot's own WSGI server, without heat_watch's hand-written request path
(benchmark only): ``stock_cheroot.py MODULE:APP PORT THREADS``.

The application is imported as uwsgi or gunicorn would import it (for
example ``embedded_app:application`` or
``heat_watch.wsgi.api_cloudwatch:application``); SIGTERM stops the server.
"""

import importlib
import signal
import sys

from cheroot import wsgi


def _stop(*_):
    raise KeyboardInterrupt


def main(argv: list[str]) -> int:
    target, port, threads = argv[0], int(argv[1]), int(argv[2])
    module_name, _, attribute = target.partition(':')
    app = getattr(importlib.import_module(module_name), attribute or 'application')
    server = wsgi.Server(('127.0.0.1', port), app, numthreads=threads, timeout=60)
    server.request_queue_size = 1024
    signal.signal(signal.SIGTERM, _stop)
    try:
        server.start()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
