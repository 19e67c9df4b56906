"""The marked snippets of doc/source/*.rst, for the tests that run them.

A snippet the tests run is a ``code-block`` preceded by a comment naming it::

    .. heat-watch-config: production
    .. code-block:: ini

    .. heat-watch-config: production-postgresql extends production
    .. heat-watch-sql: mariadb
    .. heat-watch-shell: rabbitmq
    .. heat-watch-awscli: awscli-config  (an awscli configuration file)

``extends`` means "read after the named snippet", as a second
``--config-file``.
"""

import dataclasses
import pathlib
import re
import textwrap

DOC_DIR = pathlib.Path(__file__).resolve().parents[2] / 'doc' / 'source'
MARKER = re.compile(r'^(?P<indent> *)\.\. heat-watch-(?P<kind>config|sql|shell|awscli): '
                    r'(?P<name>\S+)(?: extends (?P<base>\S+))?\s*$')
CODE_BLOCK = re.compile(r'^(?P<indent> *)\.\. code-block:: (?P<language>\S+)\s*$')


@dataclasses.dataclass
class Snippet:
    """One marked block: its kind, name, base snippet, text and place."""

    kind: str
    name: str
    base: str | None
    text: str
    source: str


def _block(lines: list[str], start: int, indent: int) -> str:
    """The content of the block whose directive is at ``start - 1``."""
    body = []
    for line in lines[start:]:
        if line.strip() and len(line) - len(line.lstrip()) <= indent:
            break
        body.append(line)
    return textwrap.dedent('\n'.join(body)).strip('\n') + '\n'


def _files() -> list[pathlib.Path]:
    return sorted(DOC_DIR.glob('*.rst'))


def snippets(kind: str | None = None) -> list[Snippet]:
    """Every marked snippet of the docs (of one kind)."""
    found = []
    for path in _files():
        lines = path.read_text().splitlines()
        for number, line in enumerate(lines):
            marker = MARKER.match(line)
            if not marker:
                continue
            directive = CODE_BLOCK.match(lines[number + 1]) if number + 1 < len(lines) else None
            where = '%s:%d' % (path.name, number + 1)
            assert directive, '%s: a marker must precede a code-block' % where
            found.append(Snippet(marker['kind'], marker['name'], marker['base'],
                                 _block(lines, number + 2, len(directive['indent'])), where))
    return [s for s in found if kind is None or s.kind == kind]


def by_name(name: str) -> Snippet:
    [found] = [s for s in snippets() if s.name == name]
    return found


def config_texts(snippet: Snippet) -> list[str]:
    """The configuration files a snippet stands for, base first."""
    texts = [snippet.text]
    while snippet.base:
        snippet = by_name(snippet.base)
        texts.insert(0, snippet.text)
    return texts


def unmarked_config_blocks() -> list[str]:
    """Blocks that look like configuration files but carry no marker: ini
    code-blocks, and literal blocks whose first line is a [section]."""
    found = []
    for path in _files():
        lines = path.read_text().splitlines()
        for number, line in enumerate(lines):
            directive = CODE_BLOCK.match(line)
            marked = number > 0 and MARKER.match(lines[number - 1])
            if directive and directive['language'] == 'ini' and not marked:
                found.append('%s:%d' % (path.name, number + 1))
            if line.rstrip().endswith('::') and not directive and not line.startswith('..'):
                block = _block(lines, number + 1, len(line) - len(line.lstrip()))
                if re.match(r'\s*\[[\w-]+\]\s*$', block.split('\n', 1)[0]):
                    found.append('%s:%d' % (path.name, number + 1))
    return found
