"""Fixtures of the REST API's functional tests: the session's in-process
deployment (noauth REST API beside the CloudWatch API) and a small HTTP
client that names its project and user in the noauth headers."""

import uuid

import pytest
import requests


class RestClient:
    """requests against the REST API as one project (noauth headers)."""

    def __init__(self, endpoint: str, project_id: str, user_id: str = 'user',
                 roles: str | None = None):
        self.endpoint = endpoint
        self.headers = {'X-Project-Id': project_id, 'X-User-Id': user_id}
        if roles:
            self.headers['X-Roles'] = roles
        self.project_id = project_id
        self.user_id = user_id

    def request(self, method: str, path: str, **kwargs) -> requests.Response:
        headers = dict(self.headers, **kwargs.pop('headers', {}))
        return requests.request(method, self.endpoint + path, headers=headers, timeout=30,
                                **kwargs)

    def get(self, path: str, **kwargs) -> requests.Response:
        return self.request('GET', path, **kwargs)

    def post(self, path: str, **kwargs) -> requests.Response:
        return self.request('POST', path, **kwargs)

    def post_samples(self, meter: str, samples: list[dict]) -> list[dict]:
        response = self.post('/v2/meters/%s' % meter, json=samples)
        assert response.status_code == 201, response.text
        return response.json()


def query(**filters) -> dict:
    """q.field/q.op/q.value parameters of ``field=value`` or
    ``field=(op, value)`` filters."""
    params: dict[str, list] = {'q.field': [], 'q.op': [], 'q.value': []}
    for field, value in filters.items():
        op, value = value if isinstance(value, tuple) else ('eq', value)
        params['q.field'].append(field.replace('__', '.'))
        params['q.op'].append(op)
        params['q.value'].append(value)
    return params


def unique(label: str) -> str:
    return '%s-%s' % (label, uuid.uuid4().hex[:10])


@pytest.fixture(scope='session')
def rest_endpoint(deployment) -> str:
    return deployment.rest_endpoint


@pytest.fixture
def project_a(rest_endpoint) -> RestClient:
    return RestClient(rest_endpoint, 'project-a', 'user-a')


@pytest.fixture
def project_b(rest_endpoint) -> RestClient:
    return RestClient(rest_endpoint, 'project-b', 'user-b')


@pytest.fixture
def admin(rest_endpoint) -> RestClient:
    return RestClient(rest_endpoint, 'admin', 'admin-user', roles='admin')


@pytest.fixture
def meter() -> str:
    """A meter name of this test only."""
    return unique('meter')
