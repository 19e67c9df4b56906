"""Parameter constraints: allowed values, patterns, lengths, ranges, modulo.

Each constraint checks a typed value and, when it fails, says why in
Heat's words (or with the template's own description when it has one).
"""

import dataclasses
from typing import Any

# The regex module (not re): its matches take a timeout, so a pattern that
# backtracks catastrophically on a value (a template and a value both come
# from users) fails with a clear error instead of holding an engine thread.
import regex

PATTERN_TIMEOUT = 1.0   # seconds


class ConstraintError(ValueError):
    """A value breaks a constraint; the message says how."""


@dataclasses.dataclass(frozen=True)
class Constraint:
    """Base of the constraints: ``check`` raises ConstraintError."""

    description: str | None

    #: parameter types this constraint applies to
    types = frozenset({'String', 'Number', 'CommaDelimitedList', 'Json', 'Boolean'})

    def check(self, value: Any, ptype: str) -> None:
        message = self._failure(value, ptype)
        if message is not None:
            raise ConstraintError(self.description or message)

    def _failure(self, value: Any, ptype: str) -> str | None:
        raise NotImplementedError

    def schema(self) -> dict:
        """The constraint in Heat's validate shape (AllowedValues, MinLength...)."""
        raise NotImplementedError


@dataclasses.dataclass(frozen=True)
class AllowedValues(Constraint):
    """The value (each item of a list) is one of ``values``."""

    values: tuple = ()
    types = frozenset({'String', 'Number', 'CommaDelimitedList', 'Boolean'})

    def _allowed(self, item: Any, ptype: str) -> bool:
        if ptype == 'Number':
            try:
                return float(item) in [float(v) for v in self.values]
            except (TypeError, ValueError):
                return False
        return any(item == v or str(item) == str(v) for v in self.values)

    def _failure(self, value: Any, ptype: str) -> str | None:
        items = value if ptype == 'CommaDelimitedList' else [value]
        for item in items:
            if not self._allowed(item, ptype):
                allowed = ', '.join(str(v) for v in self.values)
                return f'"{item}" is not an allowed value [{allowed}]'
        return None

    def schema(self) -> dict:
        return {'AllowedValues': list(self.values)}


@dataclasses.dataclass(frozen=True)
class AllowedPattern(Constraint):
    """The whole string matches the regular expression ``pattern``."""

    pattern: str = ''
    types = frozenset({'String'})

    def _failure(self, value: Any, ptype: str) -> str | None:
        try:
            matched = regex.fullmatch(self.pattern, str(value), timeout=PATTERN_TIMEOUT)
        except TimeoutError:
            return (f'"{value}" could not be matched against pattern "{self.pattern}" '
                    f'within {PATTERN_TIMEOUT:g} s')
        if matched is None:
            return f'"{value}" does not match pattern "{self.pattern}"'
        return None

    def schema(self) -> dict:
        return {'AllowedPattern': self.pattern}


@dataclasses.dataclass(frozen=True)
class Length(Constraint):
    """The length (characters, list items, map keys) is within [min, max]."""

    min: int | None = None
    max: int | None = None
    types = frozenset({'String', 'CommaDelimitedList', 'Json'})

    def _failure(self, value: Any, ptype: str) -> str | None:
        size = len(value)
        if self.min is not None and size < self.min:
            return f'length ({size}) is out of range (min: {self.min}, max: {self.max})'
        if self.max is not None and size > self.max:
            return f'length ({size}) is out of range (min: {self.min}, max: {self.max})'
        return None

    def schema(self) -> dict:
        result = {}
        if self.min is not None:
            result['MinLength'] = self.min
        if self.max is not None:
            result['MaxLength'] = self.max
        return result


@dataclasses.dataclass(frozen=True)
class Range(Constraint):
    """The number is within [min, max]."""

    min: float | None = None
    max: float | None = None
    types = frozenset({'Number'})

    def _failure(self, value: Any, ptype: str) -> str | None:
        if (self.min is not None and value < self.min) or (
                self.max is not None and value > self.max):
            return f'{value} is out of range (min: {self.min}, max: {self.max})'
        return None

    def schema(self) -> dict:
        result = {}
        if self.min is not None:
            result['MinValue'] = self.min
        if self.max is not None:
            result['MaxValue'] = self.max
        return result


@dataclasses.dataclass(frozen=True)
class Modulo(Constraint):
    """The number is ``offset`` modulo ``step`` (HOT 2017-02-24 on)."""

    step: int = 1
    offset: int = 0
    types = frozenset({'Number'})

    def _failure(self, value: Any, ptype: str) -> str | None:
        if value % self.step != self.offset:
            return f'{value} is not a multiple of {self.step} with an offset of {self.offset}'
        return None

    def schema(self) -> dict:
        return {'Modulo': {'step': self.step, 'offset': self.offset}}


@dataclasses.dataclass(frozen=True)
class CustomConstraint(Constraint):
    """A named check of a cloud service (``nova.flavor``...): accepted and not
    run, since the services it asks (Nova, Glance) are not heat_watch's."""

    name: str = ''

    def _failure(self, value: Any, ptype: str) -> str | None:
        return None

    def schema(self) -> dict:
        return {'CustomConstraint': self.name}
