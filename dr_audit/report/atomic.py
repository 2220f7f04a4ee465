"""Write report files so a reader never sees half a file and nothing is lost."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def _current_umask() -> int:
    """The process's umask (reading it means setting it; it is put back at once)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def write_atomically(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` via a temporary file in the same directory and
    a rename, so a crash leaves the previous version intact. The file gets the
    mode an ordinary ``open`` would give it (0666 less the umask)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        # mkstemp creates 0600 whatever the umask; a report is as readable as any file the user writes
        os.fchmod(handle, 0o666 & ~_current_umask())
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def keep_in_history(history: Path, name: str, text: str) -> Path:
    """Store a run's report under ``history`` with a name no other run takes."""
    history.mkdir(parents=True, exist_ok=True)
    stem, suffix = os.path.splitext(name)
    for attempt in range(1000):
        candidate = history / (f"{stem}{suffix}" if attempt == 0 else f"{stem}-{attempt}{suffix}")
        try:
            with open(candidate, "x", encoding="utf-8") as stream:
                stream.write(text)
            return candidate
        except FileExistsError:
            continue
    raise RuntimeError(f"could not find a free history name for {name} in {history}")
