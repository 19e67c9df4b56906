"""The REST API's policy defaults (heat_watch.api.policy / policies)."""

import os
import time

import pytest
from oslo_config import cfg
from stevedore import driver

from heat_watch.api import errors, policies, policy
from heat_watch.api.policies import base, meters
from heat_watch.common import context, exceptions


@pytest.fixture
def conf():
    conf = cfg.ConfigOpts()
    conf([], default_config_files=[])
    return conf


def _ctxt(project: str, *roles: str) -> context.RequestContext:
    return context.RequestContext(project_id=project, user_id='u', roles=list(roles))


@pytest.mark.parametrize('rule', [meters.GET_METERS, meters.GET_SAMPLES,
                                  meters.CREATE_SAMPLES, meters.GET_STATISTICS,
                                  meters.GET_RESOURCES])
def test_a_member_may_use_its_own_project(conf, rule):
    assert policy.check(conf, _ctxt('p', 'member'), rule)
    assert not policy.check(conf, _ctxt('p', 'member'), rule, {'project_id': 'q'})


def test_only_an_admin_may_reach_other_projects(conf):
    assert policy.check(conf, _ctxt('p', 'admin'), base.ALL_PROJECTS)
    assert not policy.check(conf, _ctxt('p', 'member'), base.ALL_PROJECTS)
    assert not policy.check(conf, _ctxt('p', 'reader'), base.ALL_PROJECTS)
    with pytest.raises(errors.PolicyNotAuthorized) as raised:
        policy.authorize(conf, _ctxt('p', 'member'), base.ALL_PROJECTS)
    assert errors.status_of(raised.value) == 403


def test_a_policy_file_can_change_a_default(conf, tmp_path):
    rules = tmp_path / 'policy.yaml'
    rules.write_text('"heat_watch:all_projects": "role:auditor"\n')
    policy.get_enforcer(conf)  # registers [oslo_policy]
    conf.set_override('policy_file', str(rules), group='oslo_policy')
    policy.forget(conf)
    assert policy.check(conf, _ctxt('p', 'auditor'), base.ALL_PROJECTS)
    assert not policy.check(conf, _ctxt('p', 'admin'), base.ALL_PROJECTS)
    policy.forget(conf)


def test_a_changed_policy_file_takes_effect_within_the_decision_ttl(conf, tmp_path,
                                                                       monkeypatch):
    rules = tmp_path / 'policy.yaml'
    rules.write_text('"heat_watch:all_projects": "role:auditor"\n')
    policy.get_enforcer(conf)  # registers [oslo_policy]
    conf.set_override('policy_file', str(rules), group='oslo_policy')
    policy.forget(conf)
    auditor = _ctxt('p', 'auditor')
    assert policy.check(conf, auditor, base.ALL_PROJECTS)
    rules.write_text('"heat_watch:all_projects": "role:admin"\n')
    os.utime(rules, (time.time() + 5, time.time() + 5))  # a newer file, as oslo.policy reads
    assert policy.check(conf, auditor, base.ALL_PROJECTS)  # remembered, within the TTL
    clock = time.monotonic() + policy.DECISION_TTL + 0.1
    monkeypatch.setattr(policy.time, 'monotonic', lambda: clock)
    assert not policy.check(conf, auditor, base.ALL_PROJECTS)
    assert policy.check(conf, _ctxt('p', 'admin'), base.ALL_PROJECTS)
    policy.forget(conf)


def test_decisions_are_per_credentials_and_target(conf):
    member, admin = _ctxt('p', 'member'), _ctxt('p', 'admin')
    for _ in range(2):  # the second round answered from the remembered decisions
        assert not policy.check(conf, member, base.ALL_PROJECTS)
        assert policy.check(conf, admin, base.ALL_PROJECTS)
        assert policy.check(conf, member, meters.GET_SAMPLES)
        assert not policy.check(conf, member, meters.GET_SAMPLES, {'project_id': 'q'})


def test_every_rule_is_listed_for_the_sample_generator():
    names = {rule.name for rule in policies.list_rules()}
    assert {base.CONTEXT_IS_ADMIN, base.ALL_PROJECTS, meters.GET_SAMPLES} <= names
    loaded = driver.DriverManager('oslo.policy.policies', 'heat_watch').driver
    assert {rule.name for rule in loaded()} == names


@pytest.mark.parametrize('error,status', [
    (errors.PolicyNotAuthorized(action='x'), 403),
    (exceptions.AlarmNotFound(name='a'), 404),
    (exceptions.Conflict(reason='r'), 409),
    (exceptions.AuthenticationFailed(reason='r'), 401),
    (exceptions.InvalidNextToken(), 400),
    (exceptions.ServiceUnavailable(reason='r'), 503),
    (exceptions.ConfigurationError(reason='r'), 500)])
def test_each_project_error_has_one_http_status(error, status):
    assert errors.status_of(error) == status
