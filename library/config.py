"""Settings: one data home, a TOML file inside it, and POLICYLIB_* environment overrides.

The data home holds everything that is not code (database, index, originals, logs, config), so a
backup is one folder and a second deployment is one more folder.
"""

from __future__ import annotations

import os
import re
import secrets
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path

import tomli_w

from .private_files import private_dir, write_private

ENV_PREFIX = "POLICYLIB_"
CONFIG_NAME = "config.toml"
SEARCH_BACKENDS = ("whoosh", "postgres")
# Whole-number settings and the values they may take (workers 0: the server's own default).
_RANGES = {
    "port": (1, 65535),
    "workers": (0, 1024),
    "max_file_mb": (1, 100_000),
    "session_idle_minutes": (1, 24 * 60),
    "session_max_hours": (1, 30 * 24),
    "trusted_proxies": (0, 10),
    "ocr_max_pages": (1, 100_000),
    "ocr_page_timeout_s": (5, 3600),
}
# "120 per minute", "10/second;1000 per day": the limits package's notation, checked here so a
# typo stops the server at start instead of at the first request.
_RATE = re.compile(
    r"\s*[0-9]+\s*(?:/|per)\s*(?:[0-9]+\s+)?(?:second|minute|hour|day|month|year)s?\s*",
    re.IGNORECASE,
)
_STORAGE_SCHEMES = ("memory://", "redis://", "rediss://", "redis+unix://")


class ConfigError(ValueError):
    """A setting in config.toml or a POLICYLIB_* variable that cannot be used: said with where it
    came from, so the operator knows which line or variable to fix."""


def default_home() -> Path:
    """$POLICYLIB_HOME, else the XDG data folder, so a user never has to think about it."""
    if os.environ.get("POLICYLIB_HOME"):
        return Path(os.environ["POLICYLIB_HOME"]).expanduser()
    xdg = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(xdg) / "policylib"


@dataclass
class Settings:
    home: Path
    database_url: str = ""
    search_backend: str = "whoosh"
    secret_key: str = ""
    source_folders: list[str] = field(default_factory=list)
    withdraw_vanished: bool = False
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 0  # 0: the server's own default (webapp.server.default_workers)
    max_file_mb: int = 50
    notify_command: str = ""
    notify_webhook: str = ""
    log_level: str = "INFO"
    # Scanned pages and image files are read by OCR; false refuses them, saying so (docs/ingest.md).
    ocr: bool = True
    ocr_max_pages: int = 500  # a scan with more pages to read fails with a message saying so
    ocr_page_timeout_s: int = 120  # CPU seconds; one page taking longer fails its file
    # Keep a searchable PDF (the scan with its OCR text laid over it) beside each scan's original.
    searchable_pdf: bool = True
    # Send the session cookie over HTTPS only; turn on behind TLS (POLICYLIB_SECURE_COOKIES=1).
    secure_cookies: bool = False
    # The site is served over HTTPS: Secure cookies plus HSTS (POLICYLIB_HTTPS=1).
    https: bool = False
    # How many reverse proxies (nginx …) stand in front and may set X-Forwarded-For/-Proto.
    trusted_proxies: int = 0
    # Host names the site answers to (empty: any); others get 400.
    trusted_hosts: list[str] = field(default_factory=list)
    # The site's public address for the OpenAPI document (empty: a relative server URL).
    public_base_url: str = ""
    # Monitoring that sends "Authorization: Bearer <health_token>" sees /healthz in full.
    health_token: str = ""
    session_idle_minutes: int = 30
    session_max_hours: int = 12
    # Per client address on /api/* and /search; storage shared by processes when it is Redis.
    api_rate_limit: str = "120 per minute;3000 per hour"
    ratelimit_storage_uri: str = "memory://"

    @property
    def max_request_bytes(self) -> int:
        """The largest request body the web server reads: one upload of `max_file_mb` plus a
        megabyte for the form around it. Anything larger is refused before it is read."""
        return (self.max_file_mb + 1) * 1024 * 1024

    @property
    def index_dir(self) -> Path:
        return self.home / "index"

    @property
    def originals_dir(self) -> Path:
        return self.home / "originals"

    @property
    def log_dir(self) -> Path:
        return self.home / "logs"

    @property
    def ocr_cache_dir(self) -> Path:
        return self.home / "ocr-cache"

    @property
    def config_path(self) -> Path:
        return self.home / CONFIG_NAME

    @property
    def sqlite_path(self) -> Path:
        return self.home / "policylib.sqlite3"

    def ensure_dirs(self) -> None:
        for d in (self.home, self.index_dir.parent, self.originals_dir, self.log_dir):
            private_dir(d)


def _coerce(name: str, raw: str, current: object) -> object:
    if isinstance(current, bool):
        return raw.strip().lower() in {"1", "true", "yes", "on"}
    if isinstance(current, int):
        try:
            return int(raw)
        except ValueError:
            raise ConfigError(f"{ENV_PREFIX}{name.upper()}={raw!r} is not a whole number") from None
    if isinstance(current, list):
        return [p for p in raw.split(os.pathsep) if p]
    return raw


def _checked(name: str, value: object, default: object, source: str) -> object:
    """`value` when it has the setting's type and range; a ConfigError naming `source` if not."""
    kind = type(default)
    ok = isinstance(value, kind) and (kind is bool or not isinstance(value, bool))
    if kind is list:
        ok = ok and all(isinstance(v, str) for v in value)  # type: ignore[union-attr]
    if not ok:
        wanted = {bool: "true or false", int: "a whole number", list: "a list of strings"}
        raise ConfigError(f"{source}: {name} = {value!r} should be {wanted.get(kind, 'a string')}")
    low, high = _RANGES.get(name, (None, None))
    if low is not None and not low <= value <= high:  # type: ignore[operator]
        raise ConfigError(f"{source}: {name} = {value!r} should be from {low} to {high}")
    _check_text(name, value, source)
    if name == "search_backend" and value not in SEARCH_BACKENDS:
        raise ConfigError(
            f"unknown search_backend {value!r}: use 'whoosh' (the default) or 'postgres' "
            "(POLICYLIB_SEARCH_BACKEND or search_backend in config.toml)"
        )
    return value


def _check_text(name: str, value: object, source: str) -> None:
    """The string settings that have a grammar of their own."""
    if name == "api_rate_limit" and not all(_RATE.fullmatch(p) for p in str(value).split(";")):
        raise ConfigError(
            f"{source}: api_rate_limit = {value!r} should look like '120 per minute' "
            "(several joined by ';')"
        )
    if name == "ratelimit_storage_uri" and not str(value).startswith(_STORAGE_SCHEMES):
        raise ConfigError(
            f"{source}: ratelimit_storage_uri = {value!r} should be 'memory://' or a Redis URI "
            "('redis://host:6379/0')"
        )
    if name == "public_base_url" and value and not str(value).startswith(("https://", "http://")):
        raise ConfigError(
            f"{source}: public_base_url = {value!r} should start with https:// (or be empty)"
        )


def _read_toml(path: Path) -> dict:
    if not path.exists():
        return {}
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML ({exc}); fix or remove that line") from None


def load_settings(home: Path | str | None = None) -> Settings:
    """Read config.toml from the home (creating it on first use), then apply environment overrides.

    A secret key is generated and written once, so sessions survive restarts without the operator
    having to invent one.
    """
    home_path = Path(home).expanduser() if home else default_home()
    settings = Settings(home=home_path.resolve())
    settings.ensure_dirs()
    data = _read_toml(settings.config_path)
    defaults = {f.name: getattr(settings, f.name) for f in fields(Settings) if f.name != "home"}
    for key, value in data.items():
        if key in defaults:
            setattr(settings, key, _checked(key, value, defaults[key], str(settings.config_path)))
    for name, default in defaults.items():
        env = os.environ.get(ENV_PREFIX + name.upper())
        if env is not None:
            value = _coerce(name, env, default)
            setattr(settings, name, _checked(name, value, default, ENV_PREFIX + name.upper()))
    if not settings.secret_key:
        settings.secret_key = secrets.token_hex(32)
        data["secret_key"] = settings.secret_key
        write_config(settings.config_path, data)
    if not settings.database_url:
        settings.database_url = f"sqlite:///{settings.sqlite_path}"
    return settings


def write_config(path: Path, data: dict) -> None:
    """Write atomically so a crash never leaves a half-written config behind."""
    tmp = path.with_suffix(".tmp")
    write_private(tmp, tomli_w.dumps(data))  # it holds the secret key: 0600 whatever the umask
    os.replace(tmp, path)
