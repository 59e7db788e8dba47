"""What `handouts serve` was started with: where the page reads and writes, and its password."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Settings:
    """Set once by `handouts serve`; every part of the page reads it, none changes it."""

    library_dir: Path | None = None
    clinic_file: Path | None = None
    history_file: Path | str | None = None  # a file, or a postgresql:// URL
    output: Path = Path("out")
    password: str = ""
    secret: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    host: str = "127.0.0.1"  # the address it listens on: a name browsers may use to reach it
    allowed_hosts: tuple[str, ...] = ()  # other names for this computer on the clinic's network
    proxy: bool = False  # behind the clinic's HTTPS proxy: trust its X-Forwarded-For and -Proto
    max_roster_rows: int = 2000  # a workshop roster longer than this is refused (the command line has no limit)
