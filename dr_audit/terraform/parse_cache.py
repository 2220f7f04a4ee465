"""Parsed HCL trees kept by content hash, so a file is parsed once per content.

python-hcl2 is the audit's hot spot (tens of milliseconds per 100-line file).
A :class:`ParseCache` answers "the tree of this exact text" from memory (a
module used twice in one run) and, given a directory, from disk across runs
(a nightly job re-parses only the files that changed). The key is the SHA-256
of the text together with the versions of the parser, its grammar engine,
this project and Python, so a tree made by another version is never reused.

Entries are pickles written atomically; an unreadable or corrupt entry is a
miss, never an error. The directory must be as trusted as the workspace (it is
loaded with pickle), which is where CI keeps it.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import pickle
import sys
import tempfile
import threading
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import hcl2
import lark
from lark import Tree

from dr_audit import __version__

#: below this much unparsed text, starting worker processes costs more than it saves
PARALLEL_MIN_BYTES = 256 * 1024
#: the suffixes of the files a tree may need parsed
HCL_SUFFIXES = (".tf", ".tfvars")

#: what a cached tree depends on besides the text
PARSER_ID = (f"python-hcl2 {getattr(hcl2, '__version__', '?')}; lark {lark.__version__}; dr-audit {__version__}; "
             f"python {sys.version_info[0]}.{sys.version_info[1]}")


@dataclass
class CacheStats:
    """What a run's parsing cost: trees parsed, and trees reused from memory or disk."""

    parsed: int = 0
    memory_hits: int = 0
    disk_hits: int = 0
    parsed_bytes: int = 0

    def to_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


class ParseCache:
    """Trees by content hash: always in memory; on disk too when ``directory`` is given."""

    def __init__(self, directory: Path | str | None = None):
        self.directory = Path(directory) if directory else None
        self.stats = CacheStats()
        self._trees: dict[str, Tree] = {}
        self._lock = threading.Lock()

    @staticmethod
    def key(text: str) -> str:
        return hashlib.sha256(f"{PARSER_ID}\0{text}".encode("utf-8")).hexdigest()

    def _path(self, key: str) -> Path:
        assert self.directory is not None
        return self.directory / key[:2] / f"{key}.pickle"

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
            with open(self._path(key), "rb") as stream:
                tree = pickle.load(stream)
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, TypeError, ValueError):
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
                pickle.dump(tree, stream, protocol=pickle.HIGHEST_PROTOCOL)
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
        # spawn, not fork: the caller may hold threads (the sandbox server) that fork would copy mid-lock
        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
            trees = list(pool.map(_parse_or_none, texts, chunksize=max(1, len(texts) // (workers * 4))))
        for text, tree in zip(texts, trees):
            if tree is not None:
                self.put(text, tree)
        return sum(tree is not None for tree in trees)


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
