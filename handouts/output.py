"""Where a handout is written: safe file names, no silent clobbering, atomic writes."""

from __future__ import annotations

import hashlib
import itertools
import os
import re
import tempfile
import unicodedata
from pathlib import Path

from handouts.errors import DataError, UsageError
from handouts.models import Handout

DEFAULT_DIR = Path("out")
MAX_STEM = 80
# Names Windows refuses as files, whatever the extension; a shared clinic drive may be one.
_RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(10)), *(f"lpt{i}" for i in range(10))}


def slug(text: str) -> str:
    """ASCII, lower-case, hyphenated: safe on every file system and in every mail client.

    A name with no Latin letters (Ελένη, Дмитрий) becomes "patient-" plus a short
    digest of the name, so two such patients still get two files.
    """
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    out = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower().replace("'", "")).strip("-")
    out = out[:MAX_STEM].rstrip("-")
    if not out:
        return "patient-" + hashlib.sha256(text.encode()).hexdigest()[:8]
    return f"{out}-file" if out in _RESERVED else out


def file_name(h: Handout) -> str:
    return f"{slug(h.patient)}_{h.program_id}_{h.start.isoformat()}.pdf"


def target_path(out: Path | None, h: Handout) -> Path:
    """`-o` may be a directory (we name the file) or a .pdf path."""
    out = out if out is not None else DEFAULT_DIR
    if out.suffix.lower() == ".pdf" and not out.is_dir():
        return out
    if out.exists() and not out.is_dir():
        raise UsageError(f'-o "{out}" is an existing file that is not a .pdf (expected a directory or a .pdf path)')
    if out.suffix and not out.is_dir():  # "out.txt" is a typo for a file name, not a folder to create
        raise UsageError(f'-o "{out}" is neither a directory nor a .pdf path (expected a directory, or a name ending in .pdf)')
    return out / file_name(h)


def write_atomic(path: Path, data: bytes, force: bool = False, versions: bool = False) -> Path:
    """Write through a temporary file in the same directory, so a crash leaves no half PDF.

    Without `force` an existing file is kept and a fresh name (name-2.pdf, ...) is
    chosen; `os.link` claims the name atomically, so two writers never share one.
    With `versions` (a batch remaking a changed row) an existing file with other bytes is
    kept as it is, since a history record may point to it, and the new one becomes
    name_v2.pdf, name_v3.pdf, ...: a suffix no patient's own name can produce.
    Returns the path actually written.
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".", suffix=".part", dir=path.parent)
    except OSError as e:
        raise DataError(f"{path}: cannot write here ({why(e)})") from None
    try:
        return _claim(path, fd, tmp, data, force, versions)
    except OSError as e:  # a full or read-only disk, a name too long: the temporary file goes, nothing half-written stays
        raise DataError(f"{path}: cannot write ({why(e)}); nothing was written") from None
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


STALE_PART_S = 60  # a temporary file this old belongs to a run that was killed


def remove_stale_parts(directory: Path) -> None:
    """Hidden temporary files a killed run left behind: never a PDF, always safe to drop.
    Younger ones may belong to a run still going, so they are left alone."""
    import time

    now = time.time()
    try:
        entries = list(os.scandir(directory))
    except OSError:
        return
    for entry in entries:
        if entry.name.startswith(".") and entry.name.endswith(".part"):
            try:
                if now - entry.stat().st_mtime > STALE_PART_S:
                    os.unlink(entry.path)
            except OSError:
                pass


def why(e: OSError) -> str:
    """An operating system error in the words of someone at a clinic computer."""
    import errno

    words = {
        errno.ENOSPC: "the disk is full",
        errno.EDQUOT: "the disk quota is used up",
        errno.EROFS: "the disk is read-only",
        errno.ENAMETOOLONG: "the name or path is too long for this disk",
        errno.EACCES: "no permission to write there",
        errno.EPERM: "no permission to write there",
        errno.EIO: "the disk reported a read or write error",
        errno.ENOENT: "a folder on the way does not exist",
        errno.ENOTDIR: "a part of the path is a file, not a folder",
    }
    return words.get(e.errno or 0, e.strerror or str(e))


def holds(path: Path, sha256: str) -> bool:
    """Whether the file still has the bytes a record noted (their SHA-256): not overwritten, cut short or gone."""
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest() == sha256
    except OSError:
        return False


def _same_bytes(path: Path, data: bytes) -> bool:
    try:
        return path.stat().st_size == len(data) and path.read_bytes() == data
    except OSError:
        return False


def _claim(path: Path, fd: int, tmp: str, data: bytes, force: bool, versions: bool = False) -> Path:
    """Write the temporary file, then give it its name: replaced with `force`, else the first free one."""
    with os.fdopen(fd, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.chmod(tmp, 0o644)
    if force and not versions:
        os.replace(tmp, path)
        return path
    sep = "_v" if versions else "-"
    names = itertools.chain([path], (path.with_name(f"{path.stem}{sep}{n}{path.suffix}") for n in range(2, 10_000)))
    for candidate in names:
        if versions and _same_bytes(candidate, data):
            return candidate  # already there, exactly (a forced rerun on the same day): nothing to add
        try:
            os.link(tmp, candidate)
        except FileExistsError:
            continue
        except OSError:  # no hard links here (some network drives): claim, then replace
            try:
                os.close(os.open(candidate, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
            except FileExistsError:
                continue
            os.replace(tmp, candidate)
        return candidate
    raise UsageError(f"{path}: too many files with this name already; use --force or another -o")
