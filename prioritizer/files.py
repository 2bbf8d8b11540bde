"""Safe output files: every write is atomic (temp file in the same folder + fsync + rename) and never
replaces one of the run's input files.

A failed write (full disk, permission, a writer that raises) leaves the target as it was — the old
file or no file — and no temporary file behind; the error is an :class:`InputError` naming the file.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import BinaryIO

from prioritizer.errors import InputError

OUTPUT_SUFFIXES = (".csv", ".xlsx")


def _same_file(a: Path, b: Path) -> bool:
    """Whether two paths name the same file (an existing file by inode, else by resolved path)."""
    try:
        if a.exists() and b.exists():
            return os.path.samefile(a, b)
    except OSError:
        pass
    return a.resolve() == b.resolve()


def check_output(out: str | Path, inputs: Iterable[str | Path | None] = (), *, flag: str = "--out",
                 suffixes: tuple[str, ...] = OUTPUT_SUFFIXES) -> Path:
    """Validate an output path before any work: known extension, existing folder, not a folder, and not
    one of ``inputs`` (``score --data p.csv --out p.csv`` would replace the data with the ranking)."""
    path = Path(out)
    if suffixes and path.suffix.lower() not in suffixes:
        raise InputError(f"{flag}: output must end in {' or '.join(suffixes)}", file=str(path))
    if not path.parent.exists():
        raise InputError(f"{flag}: output folder does not exist", file=str(path))
    if path.is_dir():
        raise InputError(f"{flag}: output is a folder, not a file", file=str(path))
    for src in inputs:
        if src is None or isinstance(src, bytes):
            continue
        if _same_file(path, Path(src)):
            raise InputError(f"{flag}: output is one of the input files; choose another name so the input "
                             "is not overwritten", file=str(path))
    return path


def atomic_write(path: str | Path, write: Callable[[BinaryIO], None] | bytes) -> Path:
    """Write ``path`` atomically: ``write(fh)`` (or the bytes) goes to a temp file in the same folder,
    which is fsynced and renamed over the target only when complete. Any failure removes the temp file
    and raises InputError (OSError) or re-raises (other errors); the target is never left truncated."""
    target = Path(path)
    folder = target.parent if str(target.parent) else Path(".")
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise InputError(f"cannot write output ({exc.strerror or exc})", file=str(target)) from None
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as fh:
            if isinstance(write, bytes | bytearray):
                fh.write(write)
            else:
                write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        if target.exists():
            with contextlib.suppress(OSError):
                os.chmod(tmp, target.stat().st_mode & 0o7777)
        else:
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, target)
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise InputError(f"cannot write output ({exc.strerror or exc}); nothing was written",
                         file=str(target)) from None
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    with contextlib.suppress(OSError):  # make the rename itself durable
        dfd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)
    return target
