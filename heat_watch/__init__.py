"""heat_watch: CloudWatch-compatible metrics and alarms with Heat-style autoscaling."""

import warnings

# Threads, never eventlet. oslo.messaging imports oslo.service, whose default
# backend is eventlet: choose the threading backend before anything loads
# it. futurist merely probes whether eventlet is importable; silence the
# deprecation warning that probe prints, as nothing here runs eventlet.
warnings.filterwarnings('ignore', message=r'\s*Eventlet is deprecated')

from oslo_service import backend as _service_backend  # noqa: E402

if _service_backend.get_backend_type() is None:
    _service_backend.init_backend(_service_backend.BackendType.THREADING)
