"""Parsed HCL trees kept by content hash, so a file is parsed once per content;
and a root's evidence kept until a file it read changes.

python-hcl2 is the audit's hot spot (tens of milliseconds per 100-line file).
A :class:`ParseCache` answers "the tree of this exact text" from memory (a
module used twice in one run) and, given a directory, from disk across runs
(a nightly job re-parses only the files that changed). The key is the SHA-256
of the text together with the versions of the parser, its grammar engine,
this project and Python, so a tree made by another version is never reused.

Entries are the trees in a compact form (:func:`encode`: only what the audit
reads of each node) serialized with ``marshal``; they are written atomically,
and an unreadable or corrupt entry is a miss, never an error. (Pickled lark trees load no faster than parsing: every
token goes through lark's slow constructor.)

Rebuilding trees still costs most of a parse, so a second level keeps each
root's collected evidence (resources, secrets) with the list of every file it
read and every directory it listed, by content hash: while none of those
changed, the root is not evaluated again; when one did, only that root is, and
only the changed files are parsed. Roots that met errors are never kept.
Neither marshal nor pickle is safe against a forged file: the directory must
be as trusted as the workspace (CI's own cache).
"""

from __future__ import annotations

import hashlib
import marshal
import multiprocessing
import os
import pickle
import sys
import tempfile
import threading
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path

import hcl2
import lark
from lark import Token, Tree
from lark.tree import Meta

from dr_audit import __version__

#: below this much unparsed text, starting worker processes costs more than it saves
PARALLEL_MIN_BYTES = 256 * 1024
#: the suffixes of the files a tree may need parsed
HCL_SUFFIXES = (".tf", ".tfvars")

#: what a cached tree depends on besides the text
PARSER_ID = (f"python-hcl2 {getattr(hcl2, '__version__', '?')}; lark {lark.__version__}; dr-audit {__version__}; "
             f"python {sys.version_info[0]}.{sys.version_info[1]}")



def _evaluator_fingerprint() -> str:
    """A hash of the code that turns trees into evidence (this package's Terraform modules, the
    kinds and the inventory), so a root's evidence cached by other code is never reused, even
    between two commits of the same version."""
    package = Path(__file__).resolve().parent
    digest = hashlib.sha256()
    for path in (sorted(package.glob("*.py")) + sorted((package.parent / "kinds").glob("*.py"))
                 + [package.parent / "inventory.py", package.parent / "secrets.py"]):
        digest.update(path.name.encode("utf-8") + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


#: what a root's cached evidence depends on besides its files
EVALUATOR_ID = f"{PARSER_ID}; evaluator {_evaluator_fingerprint()}"


@dataclass
class CacheStats:
    """What a run's parsing cost: trees parsed, and trees reused from memory or disk."""

    parsed: int = 0
    memory_hits: int = 0
    disk_hits: int = 0
    parsed_bytes: int = 0
    roots_reused: int = 0
    roots_evaluated: int = 0

    def to_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


class ParseCache:
    """Trees by content hash: always in memory; on disk too when ``directory`` is given."""

    def __init__(self, directory: Path | str | None = None):
        self.directory = Path(directory) if directory else None
        self.stats = CacheStats()
        self._trees: dict[str, Tree] = {}
        self._lock = threading.Lock()
        self._reads: dict[str, str] | None = None  # path -> content key, while a root is recorded
        self._listings: dict[str, list[str]] | None = None

    # ----- what a root read -----------------------------------------------
    def note_read(self, path: Path, text: str) -> None:
        """Called for every file parsed (or taken from the cache) while a root is recorded."""
        if self._reads is not None:
            self._reads[str(Path(path).resolve())] = self.key(text)

    def note_absent(self, path: Path) -> None:
        """Called for a file a root looked for and did not find (it must still be absent to reuse the root)."""
        if self._reads is not None:
            self._reads[str(Path(path).resolve())] = None

    def note_listing(self, directory: Path, names: list[str]) -> None:
        if self._listings is not None:
            self._listings[str(Path(directory).resolve())] = sorted(names)

    def reuse_root(self, key: str) -> dict | None:
        """A root's stored evidence when every file and directory it read is unchanged."""
        if self.directory is None:
            return None
        try:
            entry = pickle.loads(self._root_path(key).read_bytes())
            for path, content_key in entry["reads"].items():
                if content_key is None:
                    if os.path.lexists(path):
                        return None
                elif self.key(_read_text(Path(path))) != content_key:
                    return None
            for directory, names in entry["listings"].items():
                if _hcl_names(Path(directory)) != names:
                    return None
        except (OSError, EOFError, ValueError, TypeError, KeyError, AttributeError, ImportError,
                pickle.UnpicklingError, UnicodeDecodeError):
            return None
        self.stats.roots_reused += 1
        return entry["evidence"]

    def record_root(self) -> None:
        self._reads, self._listings = {}, {}

    def keep_root(self, key: str, evidence: dict | None) -> None:
        """Store what the recorded root produced (None: it met errors, keep nothing)."""
        reads, listings = self._reads or {}, self._listings or {}
        self._reads = self._listings = None
        self.stats.roots_evaluated += 1
        if self.directory is None or evidence is None:
            return
        target = self._root_path(key)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(prefix=".", suffix=".tmp", dir=target.parent)
            with os.fdopen(handle, "wb") as stream:
                pickle.dump({"reads": reads, "listings": listings, "evidence": evidence}, stream)
            os.replace(temporary, target)
        except (OSError, pickle.PicklingError, TypeError, AttributeError):
            pass

    def root_key(self, name: str, directory: Path, base: Path, account_id: str | None = None) -> str:
        """The key of a root's evidence: it also depends on the account audited (``aws_caller_identity``)
        and on the plugin kinds registered (their mappings turn code into evidence too)."""
        from dr_audit.kinds.registry import plugin_fingerprint  # the registry imports this module's users

        return hashlib.sha256(f"{EVALUATOR_ID}\0root\0{name}\0{Path(directory).resolve()}\0{Path(base).resolve()}"
                              f"\0{account_id or ''}\0{plugin_fingerprint()}".encode("utf-8")).hexdigest()

    def _root_path(self, key: str) -> Path:
        assert self.directory is not None
        return self.directory / "roots" / f"{key}.evidence"

    @staticmethod
    def key(text: str) -> str:
        return hashlib.sha256(f"{PARSER_ID}\0{text}".encode("utf-8")).hexdigest()

    def _path(self, key: str) -> Path:
        assert self.directory is not None
        return self.directory / key[:2] / f"{key}.tree"

    def get(self, text: str) -> Tree | None:
        """The cached tree of ``text``, or None when it has to be parsed."""
        key = self.key(text)
        with self._lock:
            if key in self._trees:
                self.stats.memory_hits += 1
                return self._trees[key]
        if self.directory is None:
            return None
        try:
            tree = decode(marshal.loads(self._path(key).read_bytes()))
        except (OSError, EOFError, ValueError, TypeError, IndexError, KeyError):
            return None
        if not isinstance(tree, Tree):
            return None
        with self._lock:
            self._trees[key] = tree
            self.stats.disk_hits += 1
        return tree

    def put(self, text: str, tree: Tree) -> None:
        """Remember the tree of ``text`` (a parse just made)."""
        key = self.key(text)
        with self._lock:
            self._trees[key] = tree
            self.stats.parsed += 1
            self.stats.parsed_bytes += len(text.encode("utf-8"))
        if self.directory is not None:
            self._store(key, tree)

    def _store(self, key: str, tree: Tree) -> None:
        target = self._path(key)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(prefix=".", suffix=".tmp", dir=target.parent)
            with os.fdopen(handle, "wb") as stream:
                stream.write(marshal.dumps(encode(tree)))
            os.replace(temporary, target)
        except OSError:
            pass  # a cache that cannot be written only costs time

    def _known(self, text: str) -> bool:
        key = self.key(text)
        if key in self._trees:
            return True
        return self.directory is not None and self._path(key).is_file()

    def prefetch(self, base: Path, workers: int | None = None, max_file_bytes: int = 4 * 1024 * 1024) -> int:
        """Parse, on every core, the HCL files under ``base`` whose text is not cached yet.

        Worth it only for large trees: below ``PARALLEL_MIN_BYTES`` of new text
        nothing is done and files are parsed as they are met. Files that fail to
        parse are left for the normal path, which reports them. Returns how many
        trees were parsed here.
        """
        pending: dict[str, str] = {}
        for path in _hcl_files(Path(base)):
            try:
                if path.stat().st_size > max_file_bytes:
                    continue
                text = path.read_bytes().decode("utf-8")
            except (OSError, UnicodeDecodeError):
                continue
            text = text[1:] if text.startswith("\ufeff") else text
            if not self._known(text):
                pending[self.key(text)] = text
        if sum(len(t) for t in pending.values()) < PARALLEL_MIN_BYTES:
            return 0
        texts = list(pending.values())
        workers = workers or os.cpu_count() or 1
        # spawn, not fork: the caller may hold threads (the sandbox server) that fork would copy mid-lock.
        # Spawned workers import the main module, so a script calling this needs the usual
        # ``if __name__ == "__main__"`` guard; without it the pool breaks and files are parsed here.
        try:
            with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
                trees = list(pool.map(_parse_or_none, texts, chunksize=max(1, len(texts) // (workers * 4))))
        except (BrokenProcessPool, OSError, RuntimeError):
            return 0
        for text, tree in zip(texts, trees):
            if tree is not None:
                self.put(text, tree)
        return sum(tree is not None for tree in trees)


def _read_text(path: Path) -> str:
    text = path.read_bytes().decode("utf-8")
    return text[1:] if text.startswith("\ufeff") else text


def _hcl_names(directory: Path) -> list[str]:
    return sorted(name for name in os.listdir(directory) if name.endswith(HCL_SUFFIXES + (".tf.json",)))


def _hcl_files(base: Path):
    for directory, subdirectories, files in os.walk(base):
        subdirectories[:] = sorted(d for d in subdirectories if not d.startswith(".") and d != "node_modules")
        for name in sorted(files):
            if name.endswith(HCL_SUFFIXES):
                yield Path(directory) / name


def _parse_or_none(text: str) -> Tree | None:
    try:
        return hcl2.parses_to_tree(text)
    except Exception:  # noqa: BLE001 - the main path parses it again and reports the error with its line
        return None


def encode(node: Tree | Token) -> tuple:
    """A lark node as nested tuples of plain values (what the evaluator reads, nothing else)."""
    if isinstance(node, Token):
        return (0, node.type, str(node), node.start_pos, node.end_pos, node.line, node.column,
                node.end_line, node.end_column)
    meta = node._meta
    position = None if meta is None or getattr(meta, "empty", True) else (
        meta.line, meta.column, meta.start_pos, meta.end_line, meta.end_column, meta.end_pos)
    return (1, str(node.data), position, [encode(child) for child in node.children])


def decode(data: tuple) -> Tree | Token:
    """The node :func:`encode` described, built without lark's (slow) constructors."""
    if data[0] == 0:
        _, type_, value, start, end, line, column, end_line, end_column = data
        token = str.__new__(Token, value)
        token.type, token.value, token.start_pos, token.end_pos = type_, value, start, end
        token.line, token.column, token.end_line, token.end_column = line, column, end_line, end_column
        return token
    _, name, position, children = data
    tree = Tree.__new__(Tree)
    tree.data, tree.children = name, [decode(child) for child in children]
    if position is None:
        tree._meta = None
    else:
        meta = tree._meta = Meta.__new__(Meta)
        meta.empty = False
        meta.line, meta.column, meta.start_pos, meta.end_line, meta.end_column, meta.end_pos = position
    return tree
