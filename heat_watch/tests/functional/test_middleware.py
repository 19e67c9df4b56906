"""The common middleware in front of both APIs, over real HTTP:
/healthcheck, request ids, the body-size limit."""

import json
import re

import pytest
import requests
from oslo_middleware.healthcheck import opts as healthcheck_opts

from heat_watch.tests import services
from heat_watch.tests.functional import support

ID = re.compile(r'^req-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}$')


def _root(deployment) -> str:
    return deployment.endpoint[:-len('/v1')]


def test_healthcheck_answers_ok_without_credentials(deployment):
    answer = requests.get(_root(deployment) + '/healthcheck', timeout=10)

    # No backend configured: healthy, and nothing revealed.
    assert answer.status_code == 200
    assert answer.text == ''
    assert ID.match(answer.headers['x-openstack-request-id'])


def test_healthcheck_head_answers_without_a_body(deployment):
    answer = requests.head(_root(deployment) + '/healthcheck', timeout=10)

    assert answer.status_code in (200, 204)
    assert answer.content == b''


def test_a_successful_answer_carries_one_id_in_both_request_id_headers(tenant_a, namespace):
    answer = tenant_a.json.put_metric_data(Namespace=namespace,
                                           MetricData=[{'MetricName': 'm', 'Value': 1.0}])

    headers = answer['ResponseMetadata']['HTTPHeaders']
    assert ID.match(headers['x-openstack-request-id'])
    assert headers['x-amzn-requestid'] == headers['x-openstack-request-id']
    assert answer['ResponseMetadata']['RequestId'] == headers['x-openstack-request-id']


def test_an_error_answer_carries_the_same_id_in_headers_and_body(deployment, tenant_a):
    answer = support.signed_query(deployment.endpoint, tenant_a.access, tenant_a.secret,
                                  {'Action': 'ListMetrics', 'NextToken': 'garbage'})

    assert answer.status_code == 400
    request_id = answer.headers['x-openstack-request-id']
    assert answer.headers['x-amzn-RequestId'] == request_id
    assert '<RequestId>%s</RequestId>' % request_id in answer.text


def test_each_request_gets_its_own_id(deployment):
    ids = {requests.get(_root(deployment) + '/healthcheck', timeout=10)
           .headers['x-openstack-request-id'] for _ in range(5)}

    assert len(ids) == 5


@pytest.fixture(scope='module')
def small_limit(tmp_path_factory):
    """A deployment accepting bodies of at most 1,024 bytes, whose health
    check reports unhealthy while the file ``disable_path`` exists."""
    state = tmp_path_factory.mktemp('small-limit')
    conf = services.make_conf(str(state), **{'cloudwatch_api.max_request_body_size': 1024})
    conf.register_opts(healthcheck_opts.HEALTHCHECK_OPTS + healthcheck_opts.DISABLE_BY_FILE_OPTS,
                       group='healthcheck')
    conf.set_override('backends', ['disable_by_file'], group='healthcheck')
    conf.set_override('disable_by_file_path', str(state / 'disabled'), group='healthcheck')
    running = services.Deployment(conf).start()
    running.disable_path = state / 'disabled'
    try:
        yield running
    finally:
        running.stop()


def test_healthcheck_reports_what_its_configured_backend_says(small_limit):
    url = _root(small_limit) + '/healthcheck'
    assert requests.get(url, timeout=10).status_code == 200

    small_limit.disable_path.write_text('maintenance')
    try:
        answer = requests.get(url, timeout=10)
    finally:
        small_limit.disable_path.unlink()

    assert answer.status_code == 503
    assert 'DISABLED BY FILE' in answer.text


def test_a_json_body_over_the_limit_is_refused_in_the_json_error_format(small_limit):
    # Unsigned: the refusal comes before authentication, from the middleware.
    answer = requests.post(small_limit.endpoint, data=b'{' + b' ' * 1500 + b'}', timeout=10,
                           headers={'X-Amz-Target': 'GraniteServiceVersion20100801.ListMetrics',
                                    'Content-Type': 'application/x-amz-json-1.0'})

    assert answer.status_code == 400
    error = json.loads(answer.content)
    assert error['__type'].endswith(('InvalidParameterValue', 'InvalidParameterValueException'))
    assert 'larger than 1024 bytes' in error['message']
    assert answer.headers['x-amzn-RequestId'] == answer.headers['x-openstack-request-id']


def test_a_query_body_over_the_limit_is_refused_in_the_xml_error_format(small_limit):
    answer = requests.post(small_limit.endpoint, data='Action=ListMetrics&x=' + 'y' * 1500,
                           headers={'Content-Type': support.FORM_TYPE}, timeout=10)

    assert answer.status_code == 400
    assert support.xml_error(answer)[1] == 'InvalidParameterValue'
    assert 'larger than 1024 bytes' in answer.text


def test_a_body_within_the_limit_reaches_the_api(small_limit):
    creds = small_limit.credentials('project-small')
    payload = {'Namespace': 'near-the-limit',
               'MetricData': [{'MetricName': 'metric-%02d' % n, 'Value': float(n),
                               'Dimensions': [{'Name': 'InstanceId', 'Value': 'i-%08d' % n}]}
                              for n in range(9)]}
    assert 800 < len(json.dumps(payload)) <= 1024

    answer = support.signed_json(small_limit.endpoint, creds['access'], creds['secret'],
                                 'GraniteServiceVersion20100801.PutMetricData', payload)

    assert answer.status_code == 200


@pytest.fixture(scope='module')
def small_rest_limit(tmp_path_factory):
    """A deployment whose REST API accepts bodies of at most 2,048 bytes."""
    state = tmp_path_factory.mktemp('small-rest-limit')
    conf = services.make_conf(str(state), **{'api.max_request_body_size': 2048})
    running = services.Deployment(conf).start()
    try:
        yield running
    finally:
        running.stop()


@pytest.mark.parametrize('path, error_key', [
    ('/v2/meters/cpu', 'error_message'),  # Ceilometer's body
    ('/v1/admin/stacks', 'error'),  # Heat's body under /v1
])
def test_the_rest_api_refuses_a_body_over_its_limit_in_the_paths_format(
        small_rest_limit, path, error_key):
    answer = requests.post(small_rest_limit.rest_endpoint + path,
                           data=b'[' + b' ' * 3000 + b']', timeout=10,
                           headers={'Content-Type': 'application/json'})
    assert answer.status_code == 413
    assert error_key in answer.json()
    assert ID.match(answer.headers['x-openstack-request-id'])


def test_the_rest_api_answers_healthcheck_with_a_request_id(small_rest_limit):
    answer = requests.get(small_rest_limit.rest_endpoint + '/healthcheck', timeout=10)
    assert answer.status_code == 200
    assert ID.match(answer.headers['x-openstack-request-id'])
    small = requests.post(small_rest_limit.rest_endpoint + '/v2/meters/cpu',
                          json=[{'counter_name': 'cpu', 'counter_type': 'gauge',
                                 'counter_unit': '%', 'counter_volume': 1,
                                 'resource_id': 'r1'}],
                          headers={'X-Project-Id': 'p-limit'}, timeout=10)
    assert small.status_code in (200, 201), small.text
