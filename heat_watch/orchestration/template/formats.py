"""The template formats and versions understood, and what each one allows.

One table, as in Heat's template classes: the top-level sections, the
resource and output keys, the intrinsic functions, the condition functions
and the parameter keys of each version. Everything else (parsing, the
``/template_versions`` listing) reads this table.
"""

import dataclasses

CFN = 'cfn'
HOT = 'hot'

CFN_VERSION_KEY = 'AWSTemplateFormatVersion'
HEAT_CFN_VERSION_KEY = 'HeatTemplateFormatVersion'   # Heat's own CFN dialect
HOT_VERSION_KEY = 'heat_template_version'

# HOT functions in the order Heat added them, with the first version that
# has each; a function absent from a version is refused with its name.
_HOT_DATES = ('2013-05-23', '2014-10-16', '2015-04-30', '2015-10-15', '2016-04-08',
              '2016-10-14', '2017-02-24', '2017-09-01', '2018-03-02', '2018-08-31',
              '2021-04-16')

# Release names Heat accepts for a date; stein to victoria kept 2018-08-31
# (no new format came with them), and are accepted for it here too.
HOT_ALIASES = {
    'newton': '2016-10-14', 'ocata': '2017-02-24', 'pike': '2017-09-01',
    'queens': '2018-03-02', 'rocky': '2018-08-31', 'stein': '2018-08-31',
    'train': '2018-08-31', 'ussuri': '2018-08-31', 'victoria': '2018-08-31',
    'wallaby': '2021-04-16',
}

# name -> (first version, last version or None): the HOT intrinsic functions.
_HOT_FUNCTIONS = {
    'get_param': ('2013-05-23', None),
    'get_resource': ('2013-05-23', None),
    'get_attr': ('2013-05-23', None),
    'get_file': ('2013-05-23', None),
    'list_join': ('2013-05-23', None),
    'str_replace': ('2013-05-23', None),
    'resource_facade': ('2013-05-23', None),
    'Fn::Select': ('2013-05-23', '2015-04-30'),
    'Fn::GetAZs': ('2013-05-23', '2013-05-23'),
    'Ref': ('2013-05-23', '2013-05-23'),
    'Fn::Join': ('2013-05-23', '2013-05-23'),
    'Fn::Split': ('2013-05-23', '2013-05-23'),
    'Fn::Replace': ('2013-05-23', '2013-05-23'),
    'Fn::Base64': ('2013-05-23', '2013-05-23'),
    'Fn::MemberListToMap': ('2013-05-23', '2013-05-23'),
    'Fn::ResourceFacade': ('2013-05-23', '2013-05-23'),
    'digest': ('2015-04-30', None),
    'repeat': ('2015-04-30', None),
    'str_split': ('2015-10-15', None),
    'map_merge': ('2016-04-08', None),
    'yaql': ('2016-10-14', None),
    'map_replace': ('2016-10-14', None),
    'if': ('2016-10-14', None),
    'filter': ('2017-02-24', None),
    'str_replace_strict': ('2017-02-24', None),
    'make_url': ('2017-09-01', None),
    'list_concat': ('2017-09-01', None),
    'str_replace_vstrict': ('2017-09-01', None),
    'list_concat_unique': ('2017-09-01', None),
    'contains': ('2017-09-01', None),
}

_HOT_CONDITION_FUNCTIONS = {
    'get_param': '2016-10-14', 'equals': '2016-10-14', 'not': '2016-10-14',
    'and': '2016-10-14', 'or': '2016-10-14', 'yaql': '2017-09-01',
    'contains': '2017-09-01',
}

CFN_FUNCTIONS = ('Fn::FindInMap', 'Fn::GetAZs', 'Ref', 'Fn::GetAtt', 'Fn::Select',
                 'Fn::Join', 'Fn::Split', 'Fn::Replace', 'Fn::Base64',
                 'Fn::MemberListToMap', 'Fn::ResourceFacade', 'Fn::If')
CFN_CONDITION_FUNCTIONS = ('Fn::Equals', 'Ref', 'Fn::FindInMap', 'Fn::Not', 'Fn::And',
                           'Fn::Or', 'Condition')

# Every name that is a function in some version: a single-key mapping with
# one of these keys is a function call, refused when the version lacks it.
HOT_KNOWN_FUNCTIONS = frozenset(_HOT_FUNCTIONS)
CFN_KNOWN_FUNCTIONS = frozenset(CFN_FUNCTIONS) | {
    'Fn::Equals', 'Fn::Not', 'Fn::And', 'Fn::Or'}


@dataclasses.dataclass(frozen=True)
class Version:
    """One template version: what its templates may contain."""

    kind: str                  # CFN or HOT
    date: str                  # '2010-09-09', '2021-04-16'
    sections: frozenset[str]
    resource_keys: frozenset[str]
    output_keys: frozenset[str]
    functions: frozenset[str]
    condition_functions: frozenset[str]
    parameter_keys: frozenset[str]
    has_conditions: bool
    has_modulo: bool           # HOT's modulo constraint
    nullable_if: bool          # 'if' may omit its false value (2021-04-16)
    version_key: str = HOT_VERSION_KEY   # the top-level key that names the version

    @property
    def key(self) -> str:
        """The version as Heat names it: ``heat_template_version.2016-10-14``."""
        return f'{self.version_key}.{self.date}'

    @property
    def section_names(self) -> dict[str, str]:
        """The logical section name -> the name templates of this kind use."""
        if self.kind == CFN:
            return {'parameters': 'Parameters', 'resources': 'Resources',
                    'outputs': 'Outputs', 'conditions': 'Conditions',
                    'mappings': 'Mappings', 'description': 'Description',
                    'parameter_groups': 'ParameterGroups'}
        return {'parameters': 'parameters', 'resources': 'resources',
                'outputs': 'outputs', 'conditions': 'conditions',
                'mappings': 'mappings', 'description': 'description',
                'parameter_groups': 'parameter_groups'}


def _at_least(date: str, first: str) -> bool:
    return _HOT_DATES.index(date) >= _HOT_DATES.index(first)


def _hot_version(date: str) -> Version:
    conditions = _at_least(date, '2016-10-14')
    sections = {HOT_VERSION_KEY, 'description', 'parameter_groups', 'parameters',
                'resources', 'outputs'}
    resource_keys = {'type', 'properties', 'metadata', 'depends_on', 'deletion_policy',
                     'update_policy', 'description'}
    output_keys = {'description', 'value'}
    if conditions:
        sections.add('conditions')
        resource_keys |= {'condition', 'external_id'}
        output_keys.add('condition')
    functions = {name for name, (first, last) in _HOT_FUNCTIONS.items()
                 if _at_least(date, first) and (last is None or not _at_least(date, last)
                                                or date == last)}
    condition_functions = {name for name, first in _HOT_CONDITION_FUNCTIONS.items()
                           if conditions and _at_least(date, first)}
    parameter_keys = {'type', 'label', 'description', 'default', 'hidden', 'constraints',
                      'immutable'}
    if _at_least(date, '2018-03-02'):
        parameter_keys.add('tags')
    return Version(kind=HOT, date=date, sections=frozenset(sections),
                   resource_keys=frozenset(resource_keys), output_keys=frozenset(output_keys),
                   functions=frozenset(functions),
                   condition_functions=frozenset(condition_functions),
                   parameter_keys=frozenset(parameter_keys), has_conditions=conditions,
                   has_modulo=_at_least(date, '2017-02-24'),
                   nullable_if=_at_least(date, '2021-04-16'))


CFN_2010 = Version(
    kind=CFN, date='2010-09-09',
    # Metadata is AWS's free-form top-level section; Heat-era templates carry it.
    sections=frozenset({CFN_VERSION_KEY, 'Description', 'Mappings', 'Parameters',
                        'Resources', 'Outputs', 'Conditions', 'Metadata'}),
    resource_keys=frozenset({'Type', 'Properties', 'Metadata', 'DependsOn',
                             'DeletionPolicy', 'UpdatePolicy', 'Description', 'Condition'}),
    output_keys=frozenset({'Value', 'Description', 'Condition'}),
    functions=frozenset(CFN_FUNCTIONS),
    condition_functions=frozenset(CFN_CONDITION_FUNCTIONS),
    parameter_keys=frozenset({'Type', 'Default', 'NoEcho', 'AllowedValues', 'AllowedPattern',
                              'MaxLength', 'MinLength', 'MaxValue', 'MinValue', 'Description',
                              'ConstraintDescription', 'Label'}),
    has_conditions=True, has_modulo=False, nullable_if=False, version_key=CFN_VERSION_KEY)

# HeatTemplateFormatVersion 2012-12-12: CFN as Heat first read it, without
# conditions (they came to Heat with AWSTemplateFormatVersion only).
HEAT_2012 = dataclasses.replace(
    CFN_2010, date='2012-12-12', version_key=HEAT_CFN_VERSION_KEY,
    sections=(CFN_2010.sections - {CFN_VERSION_KEY, 'Conditions'}) | {HEAT_CFN_VERSION_KEY},
    resource_keys=CFN_2010.resource_keys - {'Condition'},
    output_keys=CFN_2010.output_keys - {'Condition'},
    functions=CFN_2010.functions - {'Fn::If'}, condition_functions=frozenset(),
    has_conditions=False)

VERSION_KEYS = (HOT_VERSION_KEY, CFN_VERSION_KEY, HEAT_CFN_VERSION_KEY)

HOT_VERSIONS = {date: _hot_version(date) for date in _HOT_DATES}


def lookup(version_key: str, value: object) -> Version | None:
    """The Version that a template's version key and value name, or None."""
    if version_key != HOT_VERSION_KEY:
        version = CFN_2010 if version_key == CFN_VERSION_KEY else HEAT_2012
        return version if value == version.date else None
    if not isinstance(value, str):
        return None
    return HOT_VERSIONS.get(HOT_ALIASES.get(value, value))


def all_versions() -> list[Version]:
    """Every version, CFN first, then HOT by date."""
    return [CFN_2010, HEAT_2012, *HOT_VERSIONS.values()]


def aliases(version: Version) -> list[str]:
    """The other names a version is accepted under (``heat_template_version.rocky``)."""
    return [f'{HOT_VERSION_KEY}.{name}' for name, date in HOT_ALIASES.items()
            if version.kind == HOT and date == version.date]
