"""Turning template snippets into values and Function nodes.

``Scope`` is what the functions of one bound template read (parameter
values, mappings, files, conditions); ``build`` walks a snippet, checks each
function call against the version, builds its node, and folds it into its
value when it needs nothing from the running stack.
"""

import dataclasses
import functools
from collections.abc import Callable
from typing import Any

from heat_watch.orchestration.template import formats
from heat_watch.orchestration.template import func_collections as coll
from heat_watch.orchestration.template import func_refs as refs
from heat_watch.orchestration.template import func_strings as strs
from heat_watch.orchestration.template.nodes import Function, template_error

FUNCTIONS: dict[str, type[Function]] = {
    'get_param': refs.GetParam,
    'get_resource': refs.ResourceRef,
    'get_attr': refs.GetAtt,
    'get_file': refs.GetFile,
    'Ref': refs.Ref,
    'Fn::GetAtt': refs.GetAtt,
    'Fn::GetAZs': refs.GetAZs,
    'Fn::FindInMap': refs.FindInMap,
    'resource_facade': refs.Refused,
    'Fn::ResourceFacade': refs.Refused,
    'yaql': refs.Refused,
    'list_join': strs.Join,
    'Fn::Join': strs.Join,
    'str_replace': strs.Replace,
    'str_replace_strict': strs.Replace,
    'str_replace_vstrict': strs.Replace,
    'Fn::Replace': strs.Replace,
    'str_split': strs.Split,
    'Fn::Split': strs.Split,
    'Fn::Base64': strs.Base64,
    'digest': strs.Digest,
    'make_url': strs.MakeURL,
    'Fn::Select': coll.Select,
    'repeat': coll.Repeat,
    'map_merge': coll.MapMerge,
    'map_replace': coll.MapReplace,
    'list_concat': coll.ListConcat,
    'list_concat_unique': coll.ListConcat,
    'filter': coll.Filter,
    'contains': coll.Contains,
    'Fn::MemberListToMap': coll.MemberListToMap,
}

IF_FUNCTIONS = ('if', 'Fn::If')

# Marks an item that a false 'if' without a false value removes (2021-04-16).
REMOVED = object()


@dataclasses.dataclass
class Scope:
    """What the functions of one bound template read."""

    version: formats.Version
    parameters: dict[str, Any]
    mappings: dict
    files: dict[str, str]
    # condition name (or inline expression) -> its value, with the path
    condition: Callable[[Any, tuple], bool] = lambda expr, path: bool(expr)
    # parameters bound without a value (validation without values): the
    # functions that read them are left unresolved instead of failing on None
    unknown: frozenset[str] = frozenset()


@functools.cache
def known_functions(version: formats.Version) -> frozenset[str]:
    """The names that are function calls in templates of this kind."""
    if version.kind == formats.HOT:
        return formats.HOT_KNOWN_FUNCTIONS | {'if'}
    return formats.CFN_KNOWN_FUNCTIONS


def function_call(snippet: Any, known: frozenset[str]) -> str | None:
    """The function name when ``snippet`` is a call: a one-key map of a known
    name, or of any ``Fn::`` name (AWS functions Heat never had, such as
    ``Fn::Sub``, are refused rather than passed on as data)."""
    if isinstance(snippet, dict) and len(snippet) == 1:
        name = next(iter(snippet))
        if name in known or (isinstance(name, str) and name.startswith('Fn::')):
            return name
    return None


def check_available(name: str, version: formats.Version, path: tuple,
                    allowed: frozenset[str] | None = None) -> None:
    """Refuse a function that this version (or this place) lacks."""
    allowed = version.functions if allowed is None else allowed
    if name in allowed:
        return
    if name in version.functions or name in version.condition_functions:
        raise template_error(path, f'The function "{name}" is not allowed here.')
    if name not in formats.HOT_KNOWN_FUNCTIONS | formats.CFN_KNOWN_FUNCTIONS:
        raise template_error(path, f'The function "{name}" is not supported (it is in no '
                                   'template version).')
    raise template_error(path, f'The function "{name}" is not available in template '
                               f'version {version.key}.')


def build(snippet: Any, scope: Scope, path: tuple) -> Any:
    """The snippet with each function call built, and folded when static."""
    name = function_call(snippet, known_functions(scope.version))
    if name is not None:
        check_available(name, scope.version, path)
        where = (*path, name)
        if name in IF_FUNCTIONS:
            return _build_if(snippet[name], scope, where)
        args = build(snippet[name], scope, where)
        node = FUNCTIONS[name](scope, where, name, args)
        node.check()
        return node.result(None) if node.static else node
    if isinstance(snippet, dict):
        built = {key: build(value, scope, (*path, key)) for key, value in snippet.items()}
        return {key: value for key, value in built.items() if value is not REMOVED}
    if isinstance(snippet, list):
        built = [build(value, scope, (*path, i)) for i, value in enumerate(snippet)]
        return [value for value in built if value is not REMOVED]
    return snippet


def _build_if(args: Any, scope: Scope, path: tuple) -> Any:
    """``if: [condition, value if true, value if false]``: the chosen branch.

    Conditions are known once parameters are bound, so the branch not taken
    is dropped here and references in it never count.
    """
    name = path[-1]
    sizes = (2, 3) if scope.version.nullable_if else (3,)
    if not isinstance(args, list) or len(args) not in sizes:
        shape = ('[condition, value_if_true, value_if_false]' if len(sizes) == 1
                 else '[condition, value_if_true] or [condition, value_if_true, '
                      'value_if_false]')
        raise template_error(path, f'Arguments to "{name}" must be of the form {shape}.')
    if scope.version.kind == formats.CFN and not isinstance(args[0], str):
        raise template_error(path, 'The condition of "Fn::If" must be the name of a '
                                   'condition.')
    chosen = scope.condition(args[0], (*path, 0))
    branches = [build(branch, scope, (*path, i + 1)) for i, branch in enumerate(args[1:])]
    if chosen:
        return branches[0]
    return branches[1] if len(branches) > 1 else REMOVED


def walk_calls(snippet: Any, version: formats.Version, path: tuple,
               visit: Callable[[str, Any, tuple], None]) -> None:
    """Call ``visit(name, args, path)`` for every function call in a snippet."""
    name = function_call(snippet, known_functions(version))
    if name is not None:
        visit(name, snippet[name], (*path, name))
        walk_calls(snippet[name], version, (*path, name), visit)
    elif isinstance(snippet, dict):
        for key, value in snippet.items():
            walk_calls(value, version, (*path, key), visit)
    elif isinstance(snippet, list):
        for i, value in enumerate(snippet):
            walk_calls(value, version, (*path, i), visit)
