"""Logging: key=value lines, greppable, to stderr and to the home's log folder."""

from __future__ import annotations

import logging
import logging.handlers

from .config import Settings

FORMAT = "%(asctime)s level=%(levelname)s logger=%(name)s %(message)s"
_configured: set[str] = set()


def setup_logging(settings: Settings) -> None:
    """Idempotent per log folder: tests open many homes in one process."""
    log_dir = str(settings.log_dir)
    root = logging.getLogger("policylib")
    root.setLevel(settings.log_level)
    if log_dir in _configured:
        return
    _configured.add(log_dir)
    settings.log_dir.mkdir(parents=True, exist_ok=True)
    handler = logging.handlers.RotatingFileHandler(
        settings.log_dir / "policylib.log", maxBytes=10_000_000, backupCount=5, encoding="utf-8"
    )
    handler.setFormatter(logging.Formatter(FORMAT))
    root.addHandler(handler)
