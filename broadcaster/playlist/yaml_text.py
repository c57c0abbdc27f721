"""Playlist text to YAML nodes that remember their line, refusing what YAML lets through.

We work from nodes (`yaml.compose`), never from loaded Python values: YAML 1.1 would
turn `at: 5:30` into the number 330, `no` into False and `2026-02-30` into a crash, where
the operator meant what they typed. PyYAML is imported here, when a playlist is read,
so the command line starts fast.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, TypeGuard

from broadcaster.i18n import _
from broadcaster.playlist import messages as msg
from broadcaster.playlist.problems import Findings, Refusal, show

if TYPE_CHECKING:
    from yaml.error import MarkedYAMLError
    from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
    from yaml.reader import ReaderError

# What the YAML reader refuses: control characters other than tab and line breaks.
_NOT_PRINTABLE = re.compile("[^\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd"
                            "\U00010000-\U0010ffff]")


def compose(text: str) -> Node | None:
    """The root node of `text`; None when it holds no document (empty, only comments).

    Raises Refusal at the line of the first syntax problem."""
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when built with it
    try:
        return yaml.compose(text, Loader=loader)
    except yaml.reader.ReaderError as exc:
        raise _control_character(text, exc) from None
    except yaml.MarkedYAMLError as exc:
        raise _syntax_problem(text, exc) from None
    except yaml.YAMLError as exc:
        raise Refusal(1, _(msg.MSG_BAD_YAML).format(problem=show(str(exc)))) from None
    except RecursionError:  # pure-Python PyYAML on deeply nested brackets
        raise Refusal(1, _(msg.MSG_TOO_DEEP)) from None


def _control_character(text: str, exc: ReaderError) -> Refusal:
    match = _NOT_PRINTABLE.search(text)
    if match is None:
        return Refusal(1, _(msg.MSG_BAD_YAML).format(problem=show(str(exc.reason))))
    return Refusal(line_at(text, match.start()),
                   _(msg.MSG_CONTROL_CHARACTER).format(code=ord(match.group())))


def _syntax_problem(text: str, exc: MarkedYAMLError) -> Refusal:
    mark = exc.problem_mark or exc.context_mark
    last_line = len(text.rstrip().splitlines()) - 1
    # An unclosed quote or bracket is noticed at the end of the file; point where it opened.
    if exc.context_mark is not None and (mark is None or mark.line > last_line):
        mark = exc.context_mark
    line = mark.line if mark is not None else 0  # 0-based here
    problem = str(exc.problem)
    tabbed = [number for number, content in enumerate(text.splitlines()[:line + 1])
              if content.strip() and "\t" in content[:len(content) - len(content.lstrip())]]
    if tabbed and (tabbed[-1] == line or "tab" in problem or "\\t" in problem):
        return Refusal(tabbed[-1] + 1, _(msg.MSG_TAB))
    if "maximum nesting depth" in problem:
        return Refusal(line + 1, _(msg.MSG_TOO_DEEP))
    if "another document" in problem:
        return Refusal(line + 1, _(msg.MSG_TWO_DOCUMENTS))
    if "mapping values are not allowed" in problem:
        return Refusal(line + 1, _(msg.MSG_COLON_IN_VALUE))
    return Refusal(line + 1, _(msg.MSG_BAD_YAML).format(problem=show(problem)))


def line_at(text: str, index: int) -> int:
    return text.count("\n", 0, index) + 1


def line_of(node: Node) -> int:
    """The 1-based line where `node` starts."""
    return node.start_mark.line + 1 if node.start_mark is not None else 1


def is_scalar(node: Node) -> TypeGuard[ScalarNode]:
    return getattr(node, "id", None) == "scalar"


def is_sequence(node: Node) -> TypeGuard[SequenceNode]:
    return getattr(node, "id", None) == "sequence"


def is_mapping(node: Node) -> TypeGuard[MappingNode]:
    return getattr(node, "id", None) == "mapping"


def is_empty(node: Node) -> bool:
    """True for a value left blank (`say:`) or written as `~`."""
    return is_scalar(node) and not node.style and node.value in ("", "~")  # plain: None or ""


def found(node: Node) -> str:
    """What kind of value `node` is, for messages."""
    if is_sequence(node):
        return _(msg.FOUND_LIST)
    return _(msg.FOUND_MAPPING) if is_mapping(node) else _(msg.FOUND_TEXT)


def scalar(node: Node, label: str) -> str:
    """The text of a single value exactly as the operator typed it (`05:30`, `no`)."""
    if not is_scalar(node):
        raise Refusal(line_of(node), _(msg.MSG_NOT_A_VALUE).format(label=label, found=found(node)))
    return str(node.value)


def entries(node: MappingNode, findings: Findings) -> dict[str, tuple[Node, Node]]:
    """Key → (key node, value node). Keys that are not words and repeated keys are noted
    and left out (YAML would keep the last one silently; the operator meant one of them)."""
    seen: dict[str, tuple[Node, Node]] = {}
    for key_node, value_node in node.value:
        if not is_scalar(key_node):
            findings.note(line_of(key_node),
                          _(msg.MSG_KEY_NOT_A_WORD).format(found=found(key_node)))
        elif (key := str(key_node.value)) in seen:
            findings.note(line_of(key_node), _(msg.MSG_DUPLICATE_KEY).format(
                key=show(key), first=line_of(seen[key][0])))
        else:
            seen[key] = (key_node, value_node)
    return seen
