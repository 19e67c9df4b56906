"""A real botocore client, speaking JSON (today's default) or Query (forced,
as old clients do), talks to the codecs through a 'before-send' hook: the
request as signed and sent, the answer as the client really reads it."""

import copy
import datetime
import json
import urllib.parse

import botocore.session
import pytest
from botocore.awsrequest import AWSResponse
from botocore.config import Config
from botocore.loaders import Loader

from heat_watch.cloudwatch import errors
from heat_watch.cloudwatch.protocol import json_protocol, query

T0 = datetime.datetime(2026, 11, 23, 10, 0, tzinfo=datetime.UTC)


class _Raw:
    def __init__(self, body: bytes):
        self.body = body

    def stream(self, **kwargs):
        yield self.body


class FakeServer:
    """Decodes requests like the API server would and answers ``answer``."""

    def __init__(self):
        self.received = []
        self.answer = None  # a result dict or an AWSError

    def __call__(self, request, **kwargs):
        body = request.body or b''
        target = request.headers.get('X-Amz-Target')
        if target:
            protocol = 'json'
            operation = json_protocol.operation_from_target(target.decode())
            data = json_protocol.parse_body(operation, body)
        else:
            protocol = 'query'
            text = body.decode() if isinstance(body, bytes) else body
            params = dict(urllib.parse.parse_qsl(text, keep_blank_values=True))
            operation = params['Action']
            data = query.parse_params(operation, params)
        self.received.append((protocol, operation, data))
        return self._respond(request, protocol, operation)

    def _respond(self, request, protocol, operation):
        answer, status, headers = self.answer, 200, {'x-amzn-requestid': 'rid'}
        if isinstance(answer, errors.AWSError):
            status = answer.status
            if protocol == 'json':
                body, extra = json_protocol.serialize_error(answer)
                headers.update(extra)
            else:
                body = query.serialize_error(answer, 'rid')
        elif protocol == 'json':
            body = json_protocol.serialize_response(operation, answer)
        else:
            body = query.serialize_response(operation, answer, 'rid')
        return AWSResponse(request.url, status, headers, _Raw(body))


@pytest.fixture(scope='module', params=['json', 'query'])
def _client(request, tmp_path_factory):
    # Module-scoped: creating a botocore client costs ~0.2 s.
    tmp_path = tmp_path_factory.mktemp('models')
    session = botocore.session.Session()
    if request.param == 'query':
        # What 'protocol forced to query' means: a model saying so.
        raw = copy.deepcopy(Loader().load_service_model('cloudwatch', 'service-2'))
        raw['metadata'].update(protocol='query', protocols=['query'])
        model_dir = tmp_path / 'cloudwatch' / '2010-08-01'
        model_dir.mkdir(parents=True)
        (model_dir / 'service-2.json').write_text(json.dumps(raw))
        session.get_component('data_loader').search_paths.insert(0, str(tmp_path))
    client = session.create_client(
        'cloudwatch', region_name='us-east-1', endpoint_url='http://cloudwatch.invalid',
        aws_access_key_id='AK', aws_secret_access_key='SK',
        config=Config(retries={'total_max_attempts': 1}))
    client.meta.events.register('before-send.cloudwatch.*', lambda **kw: client.server(**kw))
    client.protocol = request.param
    return client


@pytest.fixture
def client(_client):
    _client.server = FakeServer()
    return _client


def test_protocol_in_use(client):
    client.server.answer = {}
    client.list_metrics()
    assert client.server.received[0][0] == client.protocol


def test_put_metric_data(client):
    params = {'Namespace': 'Heat', 'MetricData': [
        {'MetricName': 'cpu', 'Dimensions': [{'Name': 'Stack', 'Value': 's1'}],
         'Timestamp': T0, 'Value': 3.25, 'Unit': 'Percent', 'StorageResolution': 1},
        {'MetricName': 'lat', 'Values': [1.0, 2.0], 'Counts': [3.0, 4.0]}]}
    client.server.answer = None
    response = client.put_metric_data(**params)
    assert client.server.received == [(client.protocol, 'PutMetricData', params)]
    assert response['ResponseMetadata']['HTTPStatusCode'] == 200


def test_get_metric_statistics(client):
    datapoints = [{'Timestamp': T0 + datetime.timedelta(minutes=index), 'Average': index / 3,
                   'Unit': 'Percent', 'ExtendedStatistics': {'p99': 1.5}}
                  for index in range(5)]
    client.server.answer = {'Label': 'cpu', 'Datapoints': datapoints}
    response = client.get_metric_statistics(
        Namespace='Heat', MetricName='cpu', StartTime=T0, EndTime=T0, Period=60,
        Statistics=['Average'], ExtendedStatistics=['p99'])
    assert response['Datapoints'] == datapoints
    assert response['Label'] == 'cpu'
    assert client.server.received[0][2]['StartTime'] == T0


@pytest.mark.parametrize('error, exception', [
    (errors.ResourceNotFound('no alarm'), 'ResourceNotFound'),
    (errors.InvalidParameterValue('bad'), 'InvalidParameterValueException'),
    (errors.MissingParameter('missing'), 'MissingRequiredParameterException'),
    (errors.LimitExceeded('too many'), 'LimitExceededFault'),
    (errors.InternalFailure('boom'), None),
])
def test_errors_reach_boto_callers(client, error, exception):
    client.server.answer = error
    with pytest.raises(client.exceptions.ClientError) as caught:
        client.set_alarm_state(AlarmName='a', StateValue='OK', StateReason='r')
    if exception:
        assert isinstance(caught.value, getattr(client.exceptions, exception))
    response = caught.value.response
    assert response['Error']['Code'] == error.code
    assert response['Error']['Message'] == error.message
    assert response['ResponseMetadata']['HTTPStatusCode'] == error.status
