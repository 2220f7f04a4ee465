"""YAML loading that remembers where each mapping and key came from.

Policies are hand-written; an error must name the line. PyYAML's safe loader
is used, but mappings become :class:`LineDict` (a dict carrying ``line`` and
``key_lines``) and sequences become :class:`LineList` (``line`` and
``item_lines``).
"""

from __future__ import annotations

from pathlib import Path

import yaml

from dr_audit.errors import PolicyError


class LineDict(dict):
    """A dict plus the 1-based line of the mapping and of each key."""

    line: int = 0
    key_lines: dict

    def line_of(self, key: str) -> int:
        return self.key_lines.get(key, self.line)


class LineList(list):
    """A list plus the 1-based line of the sequence and of each item."""

    line: int = 0
    item_lines: list


# libyaml's scanner and parser when present (a large policy loads several times faster)
class _LineLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
    pass


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> LineDict:
    loader.flatten_mapping(node)
    result = LineDict()
    result.line = node.start_mark.line + 1
    result.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, (str, int, float, bool)) and key is not None:
            raise yaml.constructor.ConstructorError(
                None, None, "a mapping key must be a scalar", key_node.start_mark)
        if key in result:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark)
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_lines[key] = key_node.start_mark.line + 1
    return result


def _construct_sequence(loader: _LineLoader, node: yaml.SequenceNode) -> LineList:
    result = LineList(loader.construct_object(child, deep=True) for child in node.value)
    result.line = node.start_mark.line + 1
    result.item_lines = [child.start_mark.line + 1 for child in node.value]
    return result


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)


def load_yaml_with_lines(path: Path):
    """Read a YAML file; return LineDict/LineList trees.

    Raises PolicyError naming the file, line and column for unreadable files,
    bad encodings and YAML syntax errors.
    """
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PolicyError(str(path), "file not found") from None
    except UnicodeDecodeError as exc:
        raise PolicyError(str(path), f"not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except OSError as exc:
        raise PolicyError(str(path), f"cannot read: {exc.strerror}") from None
    try:
        return yaml.load(text, Loader=_LineLoader)  # noqa: S506 - SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        column = mark.column + 1 if mark else None
        problem = exc.problem or exc.context or "YAML syntax error"
        raise PolicyError(str(path), f"YAML syntax error: {problem}", line, column) from None
    except yaml.YAMLError as exc:
        raise PolicyError(str(path), f"YAML error: {exc}") from None
