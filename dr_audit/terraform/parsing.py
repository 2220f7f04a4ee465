"""Find and parse the .tf files of a directory, reporting bad files precisely.

In: a directory. Out: :class:`ParsedDirectory` with one :class:`BlockNode`
per top-level block and a list of :class:`TerraformError` for every file that
could not be used (each names the file and, for syntax errors, line and
column). A bad file never stops the others from being read.
"""

from __future__ import annotations

import errno
import os
from dataclasses import dataclass, field
from pathlib import Path

import hcl2
from lark import Tree
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from dr_audit.errors import TerraformError
from dr_audit.terraform.expressions import SourceText, identifier_name, line_of, string_literal, subtrees
from dr_audit.terraform.parse_cache import ParseCache

#: files larger than this are refused rather than parsed for minutes
MAX_FILE_BYTES = 4 * 1024 * 1024


@dataclass
class BlockNode:
    """A block as written: type, labels, body tree and where it is."""

    type: str
    labels: list[str]
    body: Tree
    source: SourceText
    line: int

    @property
    def file(self) -> str:
        return self.source.path

    def attributes(self) -> dict[str, Tree]:
        """The block's own arguments: name -> attribute tree."""
        return body_attributes(self.body)

    def blocks(self, block_type: str | None = None) -> list["BlockNode"]:
        """Nested blocks, optionally of one type."""
        found = body_blocks(self.body, self.source)
        return [b for b in found if block_type is None or b.type == block_type]


@dataclass
class ParsedDirectory:
    """Everything usable in one directory, plus what was not."""

    path: Path
    files: list[str] = field(default_factory=list)
    blocks: list[BlockNode] = field(default_factory=list)
    errors: list[TerraformError] = field(default_factory=list)
    cache: ParseCache | None = None  # the cache it was parsed with, for the modules it calls


def body_attributes(body: Tree) -> dict[str, Tree]:
    result = {}
    for child in subtrees(body):
        if child.data == "attribute":
            result[identifier_name(child.children[0])] = child
    return result


def body_blocks(body: Tree, source: SourceText) -> list[BlockNode]:
    result = []
    for child in subtrees(body):
        if child.data != "block":
            continue
        parts = subtrees(child)
        labels = []
        for label in parts[1:-1]:
            text = string_literal(label, source) if label.data == "string" else identifier_name(label)
            labels.append(text if text is not None else source.of(label))
        result.append(BlockNode(identifier_name(parts[0]), labels, parts[-1], source,
                                line_of(child) or 0))
    return result


def attribute_expression(attribute: Tree) -> Tree:
    """The expression subtree of an ``attribute`` node."""
    return subtrees(attribute)[-1]


def _display(path: Path, base: Path | None) -> str:
    if base is None:
        return str(path)
    try:
        return str(path.relative_to(base))
    except ValueError:
        return str(path)


def parse_file(path: Path, display: str, cache: ParseCache | None = None) -> tuple[list[BlockNode], TerraformError | None]:
    """Parse one .tf file into its top-level blocks, or say why not."""
    body, source, error = parse_body(path, display, cache)
    if error is not None:
        return [], error
    return body_blocks(body, source), None


def parse_body(path: Path, display: str, cache: ParseCache | None = None
               ) -> tuple[Tree | None, SourceText | None, TerraformError | None]:
    """Parse one HCL file (.tf or .tfvars) into its body tree, or say why not.

    With a ``cache``, a text parsed before (this run, or an earlier one) is not parsed again.
    """
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            return None, None, TerraformError(display, f"file is {size} bytes, over the {MAX_FILE_BYTES}-byte limit; not parsed")
        data = path.read_bytes()
    except OSError as exc:
        reason = "symlink loop" if exc.errno == errno.ELOOP else (exc.strerror or str(exc))
        return None, None, TerraformError(display, f"cannot read: {reason}")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        return None, None, TerraformError(display, f"not UTF-8 text (byte 0x{data[exc.start]:02x})", line, column)
    if text.startswith("\ufeff"):
        text = text[1:]
    if cache is not None:
        cache.note_read(path, text)
    cached = cache.get(text) if cache is not None else None
    if cached is not None:
        return subtrees(cached)[0], SourceText(display, text), None
    try:
        tree = hcl2.parses_to_tree(text)
    except UnexpectedInput as exc:
        return None, None, _syntax_error(display, text, exc)
    except RecursionError:
        return None, None, TerraformError(display, "nesting too deep to parse")
    except Exception as exc:  # noqa: BLE001 - the parser's own failures must not stop the audit
        return None, None, TerraformError(display, f"HCL parser failed: {type(exc).__name__}: {exc}")
    if cache is not None:
        cache.put(text, tree)
    return subtrees(tree)[0], SourceText(display, text), None


def _syntax_error(display: str, text: str, exc: UnexpectedInput) -> TerraformError:
    line, column = getattr(exc, "line", None), getattr(exc, "column", None)
    if isinstance(exc, UnexpectedEOF) or line in (None, -1):
        line = text.count("\n") + 1
        column = None
    if isinstance(exc, UnexpectedCharacters):
        detail = f"unexpected character {text[exc.pos_in_stream]!r}" if exc.pos_in_stream < len(text) else "unexpected character"
    elif isinstance(exc, UnexpectedToken):
        token = exc.token
        shown = str(token).strip(" \t").split("\n")[0][:30]
        detail = ("unexpected end of file" if token.type == "$END"
                  else f"unexpected {shown!r}" if shown else "unexpected end of line")
    else:
        detail = "unexpected end of file"
    return TerraformError(display, f"HCL syntax error: {detail}", line, column)


def parse_directory(directory: Path, base: Path | None = None, cache: ParseCache | None = None) -> ParsedDirectory:
    """Parse every ``*.tf`` file directly in ``directory`` (not below it).

    ``base`` makes file names in errors and evidence relative. ``.tf.json``
    files are reported as not audited rather than silently skipped.
    """
    parsed = ParsedDirectory(Path(directory), cache=cache)
    try:
        entries = sorted(os.scandir(directory), key=lambda e: e.name)
        if cache is not None:
            cache.note_listing(Path(directory), [e.name for e in entries if e.name.endswith((".tf", ".tfvars", ".tf.json"))])
    except FileNotFoundError:
        parsed.errors.append(TerraformError(_display(Path(directory), base), "directory not found"))
        return parsed
    except OSError as exc:
        parsed.errors.append(TerraformError(_display(Path(directory), base), f"cannot list: {exc.strerror}"))
        return parsed
    for entry in entries:
        path = Path(entry.path)
        display = _display(path, base)
        if entry.name.endswith(".tf.json"):
            parsed.errors.append(TerraformError(display, "JSON-syntax Terraform (.tf.json) is not audited; its resources are unknown"))
            continue
        if not entry.name.endswith(".tf"):
            continue
        try:
            is_file = entry.is_file()
        except OSError as exc:
            reason = "symlink loop" if exc.errno == errno.ELOOP else (exc.strerror or str(exc))
            parsed.errors.append(TerraformError(display, f"cannot read: {reason}"))
            continue
        if not is_file:
            reason = "broken symlink or symlink loop" if entry.is_symlink() else "not a regular file"
            parsed.errors.append(TerraformError(display, f"cannot read: {reason}"))
            continue
        parsed.files.append(display)
        blocks, error = parse_file(path, display, cache)
        parsed.blocks.extend(blocks)
        if error is not None:
            parsed.errors.append(error)
    return parsed
