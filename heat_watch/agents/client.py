"""The agents' HTTP calls, signed with the project's own signing code
(:mod:`heat_watch.identity.signing`, Signature Version 2 in the parameters
as heat-cfntools' boto did): PutMetricData on the CloudWatch API (Query
protocol) and GET of a resource's metadata on the REST API."""

from __future__ import annotations

import datetime
import json
import re
import urllib.parse

import requests

from heat_watch.identity import signing

API_VERSION = '2010-08-01'
TIMEOUT = 30.0


class AgentError(Exception):
    """A call the agent made failed; the message says why, in the
    service's own words."""


def _signed_params(method: str, url: str, params: dict, access: str,
                   secret: str) -> dict[str, str]:
    """``params`` with a Version 2 signature of ``method`` on ``url``."""
    query = urllib.parse.urlencode(params)
    signed = signing.presign_url(method, url + ('?' + query if query else ''), access, secret)
    return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(signed).query,
                                       keep_blank_values=True))


def _aws_error(response: requests.Response) -> str:
    code = re.search(r'<Code>([^<]*)</Code>', response.text)
    message = re.search(r'<Message>([^<]*)</Message>', response.text)
    if code:
        return '%s: %s' % (code.group(1), message.group(1) if message else '')
    return 'HTTP %d: %s' % (response.status_code, response.text[:200])


def metric_params(namespace: str, data: list[dict]) -> dict[str, str]:
    """PutMetricData's Query parameters for ``data`` (dicts with MetricName,
    Value, Unit, Timestamp (datetime) and Dimensions ([(name, value)]))."""
    params = {'Action': 'PutMetricData', 'Version': API_VERSION, 'Namespace': namespace}
    for i, datum in enumerate(data, 1):
        prefix = 'MetricData.member.%d.' % i
        params[prefix + 'MetricName'] = datum['MetricName']
        params[prefix + 'Value'] = repr(float(datum['Value']))
        params[prefix + 'Unit'] = datum.get('Unit') or 'None'
        moment = datum.get('Timestamp') or datetime.datetime.now(datetime.UTC)
        params[prefix + 'Timestamp'] = moment.strftime('%Y-%m-%dT%H:%M:%S.%fZ')
        for j, (name, value) in enumerate(datum.get('Dimensions') or [], 1):
            params[prefix + 'Dimensions.member.%d.Name' % j] = name
            params[prefix + 'Dimensions.member.%d.Value' % j] = value
    return params


_QUERY = re.compile(r'\?[^\s\'"]*')


def _unreachable(what: str, url: str, error: Exception) -> AgentError:
    """Why ``url`` could not be reached, without its query: a pre-signed
    URL's signature is a secret, and requests puts the URL in its errors
    (which end up in the instance's console log)."""
    return AgentError('cannot reach %s at %s: %s' % (what, url.split('?')[0],
                                                     _QUERY.sub('?...', str(error))))


def put_metric_data(endpoint: str, access: str, secret: str, namespace: str,
                    data: list[dict]) -> None:
    """All of ``data`` in one PutMetricData request."""
    form = _signed_params('POST', endpoint, metric_params(namespace, data), access, secret)
    try:
        response = requests.post(endpoint, data=form, timeout=TIMEOUT)
    except requests.RequestException as error:
        raise _unreachable('the CloudWatch API', endpoint, error) from None
    if response.status_code != 200:
        raise AgentError('PutMetricData refused: %s' % _aws_error(response))


def get_metadata(url: str, access: str, secret: str) -> object:
    """A resource's metadata, read with a freshly signed GET."""
    signed = signing.presign_url('GET', url, access, secret)
    try:
        response = requests.get(signed, timeout=TIMEOUT)
    except requests.RequestException as error:
        raise _unreachable('the REST API', url, error) from None
    try:
        body = response.json()
    except ValueError:
        body = None
    if response.status_code != 200 or not isinstance(body, dict) or 'metadata' not in body:
        fault = (body or {}).get('error_message', {}) if isinstance(body, dict) else {}
        raise AgentError('reading the metadata failed: HTTP %d %s' % (
            response.status_code, fault.get('faultstring') or response.text[:200]))
    return body['metadata']


def post_signal(url: str, body: dict) -> dict:
    """POST a signal to a pre-signed URL (it carries its own signature)."""
    try:
        response = requests.post(url, data=json.dumps(body),
                                 headers={'Content-Type': 'application/json'},
                                 timeout=TIMEOUT)
    except requests.RequestException as error:
        raise _unreachable('the signal URL', url, error) from None
    if response.status_code >= 300:
        raise AgentError('the signal was refused: HTTP %d %s' % (response.status_code,
                                                               response.text[:300]))
    try:
        return response.json()
    except ValueError:
        return {}
