"""Actions and statuses of stacks and resources, defined once.

A state is an action and a status, shown joined (``CREATE_COMPLETE``). A
resource that was never acted on is ``INIT_COMPLETE``, as in Heat.
"""

INIT = 'INIT'
CREATE = 'CREATE'
UPDATE = 'UPDATE'
DELETE = 'DELETE'
ROLLBACK = 'ROLLBACK'
# A resource marked unhealthy is CHECK_FAILED (healthy again: CHECK_COMPLETE).
CHECK = 'CHECK'
ACTIONS = (INIT, CREATE, UPDATE, DELETE, ROLLBACK, CHECK)

IN_PROGRESS = 'IN_PROGRESS'
COMPLETE = 'COMPLETE'
FAILED = 'FAILED'
STATUSES = (IN_PROGRESS, COMPLETE, FAILED)


def joined(action: str, status: str) -> str:
    """``CREATE`` and ``COMPLETE`` as ``CREATE_COMPLETE``."""
    return '%s_%s' % (action, status)
