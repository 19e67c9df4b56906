"""The REST API (pecan and WSME): its options, read by heat_watch.api.app."""

from oslo_config import cfg

GROUP = 'api'
OPTS = [
    cfg.HostAddressOpt('bind_host', default='0.0.0.0',
                       help='Address the REST API listens on.'),
    cfg.PortOpt('bind_port', default=8004, help='Port the REST API listens on.'),
    cfg.IntOpt('threads', default=16, min=1,
               help='Requests served at once (HTTP server thread pool).'),
    cfg.StrOpt('auth_strategy', default='keystone', choices=['keystone', 'noauth'],
               help='How requests are authenticated: "keystone" (tokens checked by '
                    'keystonemiddleware, configured in [keystone_authtoken]) or '
                    '"noauth" (the caller names its project in X-Project-Id; for '
                    'standalone use only, never in production).'),
    cfg.IntOpt('max_request_body_size', default=1024 * 1024, min=1024,
               help='Largest request body accepted, in bytes (a template, an '
                    'environment and its files, or a batch of samples); larger '
                    'requests are refused with 413 before they are read. Heat\'s own '
                    'limit on JSON bodies is the same 1 MiB.'),
]
