"""Embedded defaults for running on one machine with no other services: a data folder with a SQLite file,
a filesystem Celery broker and keys generated once and kept there."""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path

from cryptography.fernet import Fernet


def data_dir(base_dir: Path) -> Path:
    path = Path(os.environ.get("CNIMGR_DATA_DIR", base_dir / "var")).resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path


def local_keys(directory: Path) -> dict[str, str]:
    """Generate the secret key and the first encryption key once, then keep reusing them."""
    key_file = directory / "keys.json"
    if key_file.exists():
        return json.loads(key_file.read_text())
    keys = {"secret_key": secrets.token_urlsafe(50), "encryption_key": Fernet.generate_key().decode()}
    fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(keys, handle)
    return keys


def filesystem_broker(directory: Path) -> tuple[str, dict]:
    queue = directory / "broker" / "queue"
    processed = directory / "broker" / "processed"
    control = directory / "broker" / "control"
    for folder in (queue, processed, control):
        folder.mkdir(parents=True, exist_ok=True)
    options = {
        "data_folder_in": str(queue),
        "data_folder_out": str(queue),
        "processed_folder": str(processed),
        "control_folder": str(control),
        "store_processed": False,
    }
    return "filesystem://", options
