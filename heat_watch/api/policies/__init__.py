"""The REST API's policy defaults, in code (oslo.policy)."""

import itertools

from oslo_policy import policy

from heat_watch.api.policies import alarms, base, meters, stacks


def list_rules() -> list[policy.RuleDefault]:
    """Every rule and its default (entry point oslo.policy.policies)."""
    return list(itertools.chain(base.list_rules(), meters.list_rules(),
                                alarms.list_rules(), stacks.list_rules()))
