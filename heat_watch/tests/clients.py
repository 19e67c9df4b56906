"""The real CloudWatch clients the tests drive: boto3 (JSON protocol),
botocore forced to the Query protocol, and boto 2 (cfn-push-stats' client)."""

import copy
import json
import os
import urllib.parse

import boto3
import botocore.config
import botocore.loaders
import botocore.session

REGION = 'RegionOne'
_NO_RETRY = botocore.config.Config(retries={'max_attempts': 1, 'mode': 'standard'},
                                   connect_timeout=5, read_timeout=60)


def boto3_client(endpoint: str, access: str, secret: str):
    """boto3's CloudWatch client: the JSON protocol (X-Amz-Target)."""
    return boto3.client('cloudwatch', region_name=REGION, endpoint_url=endpoint,
                        aws_access_key_id=access, aws_secret_access_key=secret,
                        config=_NO_RETRY)


def _query_model_dir(base: str) -> str:
    """A botocore data directory whose CloudWatch model speaks only Query."""
    model = copy.deepcopy(botocore.loaders.Loader().load_service_model(
        'cloudwatch', 'service-2'))
    model['metadata']['protocol'] = 'query'
    model['metadata']['protocols'] = ['query']
    path = os.path.join(base, 'cloudwatch', model['metadata']['apiVersion'])
    os.makedirs(path, exist_ok=True)
    with open(os.path.join(path, 'service-2.json'), 'w') as model_file:
        json.dump(model, model_file)
    return base


def query_client(endpoint: str, access: str, secret: str, data_dir: str):
    """botocore's CloudWatch client forced to the Query protocol (XML)."""
    session = botocore.session.get_session()
    loader = session.get_component('data_loader')
    loader.search_paths.insert(0, _query_model_dir(data_dir))
    return session.create_client('cloudwatch', region_name=REGION, endpoint_url=endpoint,
                                 aws_access_key_id=access, aws_secret_access_key=secret,
                                 config=_NO_RETRY)


def boto2_connection(endpoint: str, access: str, secret: str):
    """boto 2's CloudWatchConnection, as heat-cfntools' cfn-push-stats makes it."""
    from boto.ec2.cloudwatch import CloudWatchConnection
    from boto.regioninfo import RegionInfo
    url = urllib.parse.urlsplit(endpoint)
    region = RegionInfo(name=REGION, endpoint=url.hostname)
    return CloudWatchConnection(aws_access_key_id=access, aws_secret_access_key=secret,
                                is_secure=False, port=url.port, path=url.path or '/',
                                region=region)
