"""Fixtures of the /v1 tests: python-heatclient, as one project each, on
heat-watch-all's noauth REST API (the project named in X-Project-Id)."""

import time
import uuid

import pytest
from heatclient import client as heat_client
from keystoneauth1 import session as ks_session


def heat(rest_endpoint: str, project_id: str, roles: str | None = None):
    """A python-heatclient v1 Client acting as ``project_id``."""
    headers = {'X-Project-Id': project_id, 'X-User-Id': 'user-' + project_id}
    if roles:
        headers['X-Roles'] = roles
    session = ks_session.Session(additional_headers=headers)
    return heat_client.Client('1', session=session,
                              endpoint_override='%s/v1/%s' % (rest_endpoint, project_id))


def wait_for_status(client, stack_ref: str, timeout: float = 60.0):
    """The stack once no longer IN_PROGRESS."""
    deadline = time.monotonic() + timeout
    while True:
        stack = client.stacks.get(stack_ref)
        if not stack.stack_status.endswith('IN_PROGRESS'):
            return stack
        assert time.monotonic() < deadline, stack.stack_status
        time.sleep(0.1)


def unique(label: str) -> str:
    return '%s-%s' % (label, uuid.uuid4().hex[:8])


@pytest.fixture
def heat_a(rest_endpoint):
    return heat(rest_endpoint, unique('proj-a'))


@pytest.fixture
def heat_b(rest_endpoint):
    return heat(rest_endpoint, unique('proj-b'))
