"""Logging: key=value lines, greppable, to stderr and to the home's log folder."""

from __future__ import annotations

import logging
import logging.handlers
import os

from .config import Settings
from .private_files import open_private, private_dir

FORMAT = "%(asctime)s level=%(levelname)s logger=%(name)s %(message)s"
_configured: set[str] = set()


class PrivateRotatingFileHandler(logging.handlers.RotatingFileHandler):
    """Log files (and each one rotation starts) are 0600: they name people and addresses."""

    def _open(self):  # the logging module's own signature
        flags = os.O_WRONLY | os.O_CREAT | os.O_APPEND
        return os.fdopen(open_private(self.baseFilename, flags), self.mode, encoding=self.encoding)


def setup_logging(settings: Settings) -> None:
    """Idempotent per log folder: tests open many homes in one process."""
    log_dir = str(settings.log_dir)
    root = logging.getLogger("policylib")
    root.setLevel(settings.log_level)
    if log_dir in _configured:
        return
    _configured.add(log_dir)
    private_dir(settings.log_dir)
    handler = PrivateRotatingFileHandler(
        settings.log_dir / "policylib.log", maxBytes=10_000_000, backupCount=5, encoding="utf-8"
    )
    handler.setFormatter(logging.Formatter(FORMAT))
    root.addHandler(handler)
