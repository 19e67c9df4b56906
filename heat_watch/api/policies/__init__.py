"""The REST API's policy defaults, in code (oslo.policy)."""

import itertools

from heat_watch.api.policies import base, meters


def list_rules():
    """Every rule and its default (entry point oslo.policy.policies)."""
    return list(itertools.chain(base.list_rules(), meters.list_rules()))
