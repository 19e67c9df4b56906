"""What the orchestration functional tests share: waiting for a condition,
creating a stack and waiting for its outcome."""

import time


def wait_for(predicate, timeout: float = 30.0, interval: float = 0.05):
    """``predicate()``'s first true value, polling until ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        assert time.monotonic() < deadline, 'timed out'
        time.sleep(interval)


def created_stack(client, ctxt, name: str, template: dict) -> dict:
    """Create a stack over RPC and wait until it is CREATE_COMPLETE."""
    identity = client.create_stack(ctxt, name, template)

    def finished():
        shown = client.show_stack(ctxt, identity['stack_id'])
        return shown if shown['status'] != 'IN_PROGRESS' else None
    shown = wait_for(finished)
    assert shown['stack_status'] == 'CREATE_COMPLETE', shown['stack_status_reason']
    return shown
