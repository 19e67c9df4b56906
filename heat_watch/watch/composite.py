"""Composite alarm rules (the AlarmRule of PutCompositeAlarm): parse, evaluate.

Grammar (AWS describes it in prose; its newer AT_LEAST function is not
supported)::

    rule     := or
    or       := and ('OR' and)*
    and      := not ('AND' not)*
    not      := 'NOT' not | primary
    primary  := '(' or ')' | 'TRUE' | 'FALSE'
              | ('ALARM' | 'OK' | 'INSUFFICIENT_DATA') '(' name ')'
    name     := '"' characters, with \\" and \\\\ escapes '"'
              | bare characters (no whitespace, parentheses or double quotes)

Keywords and functions are upper case only. A name may be an alarm name or an
alarm ARN (``arn:<partition>:cloudwatch:<region>:<account>:alarm:<name>``);
the alarm is looked up by name. Precedence (AWS does not document it) is the
usual one: NOT binds tighter than AND, which binds tighter than OR.

AWS limits: 10240 characters, 100 child alarms, 500 elements (we count child
alarm references, TRUE/FALSE and parenthesised groups). We also reject nesting
(parentheses and NOT) deeper than 100 levels, which bounds recursion.

A child alarm that does not exist at evaluation time (``state_of`` returns
None, e.g. it was deleted) counts as INSUFFICIENT_DATA; AWS does not document
this case.
"""

import calendar
import dataclasses
import datetime
import re
from collections.abc import Callable

from heat_watch.common import alarms as hw_alarms
from heat_watch.common import exceptions

MAX_RULE_LENGTH = 10240
MAX_CHILDREN = 100
MAX_ELEMENTS = 500
MAX_NESTING = 100
MAX_NAME_LENGTH = 255
STATE_FUNCTIONS = hw_alarms.STATES
_KEYWORDS = ('AND', 'OR', 'NOT', 'TRUE', 'FALSE') + STATE_FUNCTIONS
_ARN_PREFIX = re.compile(r'arn:[^:]+:cloudwatch:[^:]*:[^:]*:alarm:')
_WORD = re.compile(r'[A-Za-z_][A-Za-z0-9_]*')
_BARE_NAME = re.compile(r'[^\s()"]+')
_MAX_NAMED_IN_REASON = 5


@dataclasses.dataclass(frozen=True)
class ChildState:
    """What ``state_of`` may return instead of a bare state, for richer reasons."""

    state: str | None
    timestamp: datetime.datetime | None = None  # when the child entered ``state``


StateLookup = Callable[[str], 'str | ChildState | None']


@dataclasses.dataclass(frozen=True)
class _Literal:
    value: bool


@dataclasses.dataclass(frozen=True)
class _Check:
    state: str
    reference: str  # as written: a name or an ARN
    name: str


@dataclasses.dataclass(frozen=True)
class _Not:
    operand: object


@dataclasses.dataclass(frozen=True)
class _Junction:
    operator: str  # 'AND' or 'OR'
    operands: tuple


def alarm_name_from_reference(ref: str) -> str:
    """The alarm name of a reference: ``ref`` without a CloudWatch alarm ARN prefix."""
    match = _ARN_PREFIX.match(ref)
    return ref[match.end():] if match else ref


def _quote(ref: str) -> str:
    escaped = ref.replace('\\', '\\\\').replace('"', '\\"')
    return f'"{escaped}"'


def _text(node) -> str:
    if isinstance(node, _Literal):
        return 'TRUE' if node.value else 'FALSE'
    if isinstance(node, _Check):
        return f'{node.state}({_quote(node.reference)})'
    if isinstance(node, _Not):
        return 'NOT ' + _text(node.operand)
    joined = f' {node.operator} '.join(_text(o) for o in node.operands)
    return f'({joined})'


class _Lookup:
    """Memoised ``state_of`` answers as ChildState (one call per child)."""

    def __init__(self, state_of: StateLookup):
        self._state_of = state_of
        self._seen: dict[str, ChildState] = {}

    def __call__(self, name: str) -> ChildState:
        if name not in self._seen:
            answer = self._state_of(name)
            self._seen[name] = answer if isinstance(answer, ChildState) else ChildState(answer)
        return self._seen[name]

    def state(self, name: str) -> str:
        return self(name).state or hw_alarms.INSUFFICIENT_DATA


def _value(node, lookup: _Lookup) -> bool:
    if isinstance(node, _Literal):
        return node.value
    if isinstance(node, _Check):
        return lookup.state(node.name) == node.state
    if isinstance(node, _Not):
        return not _value(node.operand, lookup)
    values = (_value(o, lookup) for o in node.operands)
    return all(values) if node.operator == 'AND' else any(values)


def _witnesses(node, want: bool, lookup: _Lookup, found: list[_Check]) -> None:
    """Append to ``found`` the checks that make ``node`` evaluate to ``want``."""
    if isinstance(node, _Check):
        found.append(node)
    elif isinstance(node, _Not):
        _witnesses(node.operand, not want, lookup, found)
    elif isinstance(node, _Junction):
        if (node.operator == 'AND') == want:  # every operand is needed
            for operand in node.operands:
                _witnesses(operand, want, lookup, found)
        else:  # the first operand that decides is enough
            decisive = next(o for o in node.operands if _value(o, lookup) == want)
            _witnesses(decisive, want, lookup, found)


class Rule:
    """A parsed AlarmRule."""

    def __init__(self, root, text: str):
        self._root = root
        self.text = text

    def __str__(self) -> str:
        """The rule fully parenthesised (shows how it was parsed)."""
        return _text(self._root)

    def evaluate(self, state_of: StateLookup) -> bool:
        """Whether the rule holds; ``state_of(name)`` gives a child's state (or None)."""
        return _value(self._root, _Lookup(state_of))

    def alarm_names(self) -> set[str]:
        """Names of the child alarms (ARN prefixes removed)."""
        return {check.name for check in self._checks()}

    def _checks(self) -> list[_Check]:
        found, stack = [], [self._root]
        while stack:
            node = stack.pop()
            if isinstance(node, _Check):
                found.append(node)
            elif isinstance(node, _Not):
                stack.append(node.operand)
            elif isinstance(node, _Junction):
                stack.extend(node.operands)
        return found


class _Parser:
    """Recursive descent over the text, tracking position for error messages."""

    def __init__(self, text: str):
        self.text = text
        self.pos = 0
        self.depth = 0
        self.elements = 0

    def error(self, message: str, pos: int | None = None) -> exceptions.InvalidParameterValue:
        at = self.pos if pos is None else pos
        return exceptions.InvalidParameterValue(
            name='AlarmRule', reason=f'{message} at position {at + 1}.')

    def _skip(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos].isspace():
            self.pos += 1

    def _found(self) -> str:
        if self.pos >= len(self.text):
            return 'the end of the rule'
        return repr(self.text[self.pos:self.pos + 20])

    def _word(self) -> str | None:
        self._skip()
        match = _WORD.match(self.text, self.pos)
        return match.group() if match else None

    def _accept(self, keyword: str) -> bool:
        word = self._word()
        if word == keyword:
            self.pos += len(word)
            return True
        if word is not None and word.upper() == keyword:
            raise self.error(f'{word!r} must be written in upper case ({keyword})')
        return False

    def _count(self) -> None:
        self.elements += 1
        if self.elements > MAX_ELEMENTS:
            raise self.error(f'the rule has more than {MAX_ELEMENTS} elements')

    def _nest(self) -> None:
        self.depth += 1
        if self.depth > MAX_NESTING:
            raise self.error(
                f'the rule nests parentheses and NOT deeper than {MAX_NESTING} levels')

    def parse(self):
        self._skip()
        if self.pos == len(self.text):
            raise self.error('the rule is empty')
        node = self._or()
        self._skip()
        if self.pos < len(self.text):
            raise self.error(f'expected AND, OR or the end of the rule, found {self._found()}')
        return node

    # Four frames per nesting level (_or, _and, _not, _primary): 100 levels stay
    # far below Python's recursion limit.
    def _or(self):
        operands = [self._and()]
        while self._accept('OR'):
            operands.append(self._and())
        return operands[0] if len(operands) == 1 else _Junction('OR', tuple(operands))

    def _and(self):
        operands = [self._not()]
        while self._accept('AND'):
            operands.append(self._not())
        return operands[0] if len(operands) == 1 else _Junction('AND', tuple(operands))

    def _not(self):
        if not self._accept('NOT'):
            return self._primary()
        self._nest()
        node = _Not(self._not())
        self.depth -= 1
        return node

    def _primary(self):
        self._skip()
        if self.text.startswith('(', self.pos):
            opened = self.pos
            self._nest()
            self._count()
            self.pos += 1
            node = self._or()
            self._skip()
            if not self.text.startswith(')', self.pos):
                raise self.error(f'expected ")" to close the "(" at position {opened + 1}, '
                                 f'found {self._found()}')
            self.pos += 1
            self.depth -= 1
            return node
        word = self._word()
        if word in ('TRUE', 'FALSE'):
            self._count()
            self.pos += len(word)
            return _Literal(word == 'TRUE')
        if word in STATE_FUNCTIONS:
            self.pos += len(word)
            return self._check(word)
        if word is not None and word.upper() in _KEYWORDS:
            raise self.error(f'{word!r} must be written in upper case ({word.upper()})')
        raise self.error('expected ALARM(...), OK(...), INSUFFICIENT_DATA(...), TRUE, FALSE, '
                         f'NOT or "(", found {self._found()}')

    def _check(self, function: str) -> _Check:
        self._skip()
        if not self.text.startswith('(', self.pos):
            raise self.error(f'expected "(" after {function}, found {self._found()}')
        self.pos += 1
        self._skip()
        start = self.pos
        ref = self._quoted() if self.text.startswith('"', self.pos) else self._bare()
        name = alarm_name_from_reference(ref)
        if not name.strip() or len(name) > MAX_NAME_LENGTH:
            raise self.error(f'the alarm name must have 1 to {MAX_NAME_LENGTH} characters',
                             start)
        self._skip()
        if not self.text.startswith(')', self.pos):
            raise self.error(f'expected ")" after the alarm name of {function}, '
                             f'found {self._found()}')
        self.pos += 1
        self._count()
        return _Check(function, ref, name)

    def _bare(self) -> str:
        match = _BARE_NAME.match(self.text, self.pos)
        if match is None:
            raise self.error(f'expected an alarm name, found {self._found()}')
        self.pos = match.end()
        return match.group()

    def _quoted(self) -> str:
        start, chars = self.pos, []
        self.pos += 1
        while self.pos < len(self.text):
            char = self.text[self.pos]
            if char == '"':
                self.pos += 1
                return ''.join(chars)
            if char == '\\' and self.pos + 1 < len(self.text):
                self.pos += 1
                char = self.text[self.pos]
            chars.append(char)
            self.pos += 1
        raise self.error('unterminated quoted alarm name', start)


def parse(text: str) -> Rule:
    """Parse an AlarmRule; raises InvalidParameterValue(name='AlarmRule') if invalid."""
    if not isinstance(text, str):
        raise exceptions.InvalidParameterValue(name='AlarmRule', reason='must be a string.')
    if len(text) > MAX_RULE_LENGTH:
        raise exceptions.InvalidParameterValue(
            name='AlarmRule', reason=f'must be at most {MAX_RULE_LENGTH} characters long.')
    rule = Rule(_Parser(text).parse(), text)
    if len(rule.alarm_names()) > MAX_CHILDREN:
        raise exceptions.InvalidParameterValue(
            name='AlarmRule', reason=f'must not name more than {MAX_CHILDREN} alarms.')
    return rule


def _utc(moment: datetime.datetime | None) -> datetime.datetime:
    """``moment`` in UTC (naive ones are UTC already); None sorts first."""
    if moment is None:
        return datetime.datetime.min.replace(tzinfo=datetime.UTC)
    return moment.astimezone(datetime.UTC) if moment.tzinfo else moment.replace(
        tzinfo=datetime.UTC)


def _ms(moment: datetime.datetime | None) -> int | None:
    """Epoch milliseconds of ``moment`` (exact, no float rounding)."""
    if moment is None:
        return None
    moment = _utc(moment)
    return calendar.timegm(moment.utctimetuple()) * 1000 + moment.microsecond // 1000


def evaluate_composite(rule: Rule, state_of: StateLookup) -> tuple[str, str, dict]:
    """(state, reason, reason data) of a composite alarm.

    The state is ALARM when the rule holds, else OK. The triggering alarms are
    the children whose state decides the outcome (for AND/OR, every operand
    that is needed, or the first one that is enough), most recent transition
    first. The reason data records them as ``{"kind": "composite", "holds":
    bool, "triggering": [{"name", "state", "timestamp"}]}`` (``name`` as the
    rule names the child, ``timestamp`` epoch ms of its last transition);
    each API words its own reason from it.
    """
    lookup = _Lookup(state_of)
    holds = _value(rule._root, lookup)
    state = 'ALARM' if holds else 'OK'
    checks: list[_Check] = []
    _witnesses(rule._root, holds, lookup, checks)
    triggering: dict[str, tuple[str, ChildState]] = {}
    for check in checks:
        child = lookup(check.name)
        triggering.setdefault(check.name, (check.reference, child))
    ordered = sorted(triggering.values(), key=lambda item: _utc(item[1].timestamp),
                     reverse=True)
    data = {'kind': 'composite', 'holds': holds, 'triggering': [
        {'name': ref, 'state': child.state, 'timestamp': _ms(child.timestamp)}
        for ref, child in ordered]}
    if not ordered:
        return state, f'The rule is {holds} without any child alarm.', data
    named = ', '.join(f'{ref} {child.state or "missing"}'
                      for ref, child in ordered[:_MAX_NAMED_IN_REASON])
    more = len(ordered) - _MAX_NAMED_IN_REASON
    return state, f"The rule is {holds}: {named}{f' and {more} more' if more > 0 else ''}.", data
