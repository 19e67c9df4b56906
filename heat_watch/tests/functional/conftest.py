"""Fixtures of the functional tests: one in-process deployment (watch engine
and CloudWatch API on an ephemeral port, SQLite) shared by the session, two
projects with credentials, and the real clients of each."""

import dataclasses
from typing import Any

import pytest

from heat_watch.tests import clients, services
from heat_watch.tests.functional import support


@dataclasses.dataclass
class Tenant:
    """A project of the deployment, with its keys and clients."""

    project_id: str
    access: str
    secret: str
    json: Any  # boto3: the JSON protocol (X-Amz-Target)
    query: Any  # botocore forced to the Query protocol (XML)
    boto2: Any  # boto 2's CloudWatchConnection, as cfn-push-stats uses it
    # The same two protocols without client-side validation: for error tests.
    lenient: dict[str, Any]


@pytest.fixture(scope='session')
def deployment(tmp_path_factory):
    state = tmp_path_factory.mktemp('heat-watch-state')
    with services.deployment(str(state)) as running:
        yield running


def _tenant(deployment, project_id: str, data_dir: str) -> Tenant:
    creds = deployment.credentials(project_id)
    endpoint, access, secret = deployment.endpoint, creds['access'], creds['secret']
    return Tenant(
        project_id=project_id, access=access, secret=secret,
        json=clients.boto3_client(endpoint, access, secret),
        query=clients.query_client(endpoint, access, secret, data_dir),
        boto2=clients.boto2_connection(endpoint, access, secret),
        lenient={'json': support.lenient_json_client(endpoint, access, secret),
                 'query': support.lenient_query_client(endpoint, access, secret, data_dir)})


@pytest.fixture(scope='session')
def botocore_data(tmp_path_factory) -> str:
    return str(tmp_path_factory.mktemp('botocore-data'))


@pytest.fixture(scope='session')
def tenant_a(deployment, botocore_data) -> Tenant:
    return _tenant(deployment, 'project-a', botocore_data)


@pytest.fixture(scope='session')
def tenant_b(deployment, botocore_data) -> Tenant:
    return _tenant(deployment, 'project-b', botocore_data)


@pytest.fixture(params=['json', 'query'])
def client(request, tenant_a):
    """Project A's real client of each protocol in turn (boto3 JSON, botocore Query)."""
    return getattr(tenant_a, request.param)


@pytest.fixture(params=['json', 'query'])
def lenient(request, tenant_a):
    """Project A's client of each protocol in turn, without client-side validation."""
    return tenant_a.lenient[request.param]


@pytest.fixture
def namespace(request) -> str:
    """A namespace of this test only."""
    return support.unique_namespace(request.node.originalname)
