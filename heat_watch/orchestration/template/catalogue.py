"""The template versions and their functions, in the shapes of Heat's
``GET /template_versions`` and ``GET /template_versions/{v}/functions``."""

from heat_watch.common import exceptions
from heat_watch.orchestration.template import formats

_DESCRIPTIONS = {
    'get_param': 'A function for resolving parameter references.',
    'get_resource': 'A function for resolving resource references.',
    'get_attr': 'A function for resolving resource attributes.',
    'get_file': 'A function for including a file inline.',
    'list_join': 'A function for joining lists of strings (maps and lists are JSON).',
    'str_replace': 'A function for performing string substitutions.',
    'str_replace_strict': 'A function for performing string substitutions; every param '
                          'must occur in the template.',
    'str_replace_vstrict': 'Like str_replace_strict, and no param may be empty.',
    'str_split': 'A function for splitting a string into a list (or one item of it).',
    'repeat': 'A function for iterating over lists of items.',
    'digest': 'A function for performing digest operations.',
    'map_merge': 'A function for merging maps.',
    'map_replace': 'A function for performing substitutions on maps.',
    'list_concat': 'A function for extending lists.',
    'list_concat_unique': 'A function for extending lists, without duplicates.',
    'if': 'A function to return corresponding value based on condition evaluation.',
    'filter': 'A function for filtering lists.',
    'make_url': 'A function for building a URL.',
    'contains': 'A function for checking whether a value is in a sequence.',
    'yaql': 'A function for executing a yaql expression (refused by heat_watch).',
    'resource_facade': "A function for retrieving the parent resource's data "
                       '(refused by heat_watch).',
    'equals': 'A function for checking whether two values are equal.',
    'not': 'A function that acts as a NOT operator on a condition.',
    'and': 'A function that acts as an AND operator on conditions.',
    'or': 'A function that acts as an OR operator on conditions.',
    'Ref': 'A function for resolving parameters or resource references.',
    'Fn::GetAtt': 'A function for resolving resource attributes.',
    'Fn::GetAZs': 'A function for retrieving the availability zones.',
    'Fn::FindInMap': 'A function for resolving a key in a map of maps.',
    'Fn::Select': 'A function for selecting an item from a list or map.',
    'Fn::Join': 'A function for joining strings.',
    'Fn::Split': 'A function for splitting strings.',
    'Fn::Replace': 'A function for performing string substitutions.',
    'Fn::Base64': 'A placeholder function: the string is passed on as is.',
    'Fn::MemberListToMap': 'A function for converting lists of members into a map.',
    'Fn::ResourceFacade': "A function for retrieving the parent resource's data "
                          '(refused by heat_watch).',
    'Fn::If': 'A function to return corresponding value based on condition evaluation.',
    'Fn::Equals': 'A function for checking whether two values are equal.',
    'Fn::Not': 'A function that acts as a NOT operator on a condition.',
    'Fn::And': 'A function that acts as an AND operator on conditions.',
    'Fn::Or': 'A function that acts as an OR operator on conditions.',
    'Condition': 'A function for referring to another condition.',
}


def versions_list() -> list[dict]:
    """Every template version: ``{"version", "type", "aliases"}``."""
    return [{'version': v.key, 'type': v.kind, 'aliases': formats.aliases(v)}
            for v in formats.all_versions()]


def _find(name: str) -> formats.Version:
    for version in formats.all_versions():
        if name == version.key or name in formats.aliases(version):
            return version
    raise exceptions.NotFound(kind='Template version', name=name)


def functions(version: str, with_condition_functions: bool = False) -> list[dict]:
    """The functions of a version (``heat_template_version.2016-10-14`` or an
    alias): ``{"functions": name, "description": ...}``, sorted by name.

    Raises NotFound for a version that does not exist.
    """
    found = _find(version)
    names = set(found.functions)
    if found.kind == formats.HOT and found.has_conditions:
        names.add('if')
    if with_condition_functions:
        names |= set(found.condition_functions)
    return [{'functions': name, 'description': _DESCRIPTIONS.get(name, '')}
            for name in sorted(names)]
