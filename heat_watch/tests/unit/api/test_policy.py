"""The REST API's policy defaults (heat_watch.api.policy / policies)."""

import pytest
from oslo_config import cfg
from stevedore import driver

from heat_watch.api import errors, policies, policy
from heat_watch.api.policies import base, meters
from heat_watch.common import context


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
    policy._ENFORCERS.pop(id(conf))
    conf.set_override('policy_file', str(rules), group='oslo_policy')
    policy._ENFORCERS.pop(id(conf), None)
    assert policy.check(conf, _ctxt('p', 'auditor'), base.ALL_PROJECTS)
    assert not policy.check(conf, _ctxt('p', 'admin'), base.ALL_PROJECTS)
    policy._ENFORCERS.pop(id(conf), None)


def test_every_rule_is_listed_for_the_sample_generator():
    names = {rule.name for rule in policies.list_rules()}
    assert {base.CONTEXT_IS_ADMIN, base.ALL_PROJECTS, meters.GET_SAMPLES} <= names
    loaded = driver.DriverManager('oslo.policy.policies', 'heat_watch').driver
    assert {rule.name for rule in loaded()} == names
