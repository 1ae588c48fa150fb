"""First run: load the sample documents and Q&A of `data/`, and create demo accounts.

Idempotent: running it again finds everything unchanged and leaves existing accounts alone, so the
README's first command can be repeated safely.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

from . import users
from .core import PROJECT_DATA, Library
from .ingest import IngestReport, ingest_paths
from .private_files import write_private
from .qa.importer import import_file

SAMPLES = PROJECT_DATA / "samples"
SAMPLE_QA = PROJECT_DATA / "qa" / "sample_qa.csv"
DEMO_ROLES = {"admin": "admin", "legal": "legal", "editor": "editor", "agent": "agent"}
ACCOUNTS_FILE = "demo-accounts.txt"


@dataclass
class DemoReport:
    ingest: IngestReport
    qa_counts: dict
    accounts: dict[str, str] = field(default_factory=dict)  # name -> password, new ones only


def load_demo(lib: Library) -> DemoReport:
    report = ingest_paths(lib, [SAMPLES])
    qa = import_file(lib, SAMPLE_QA, actor="demo", write=True)
    return DemoReport(ingest=report, qa_counts=qa.counts, accounts=_demo_accounts(lib))


def _demo_accounts(lib: Library) -> dict[str, str]:
    """One account per role with a random password, only on a library that has no users yet."""
    with lib.db.session() as session:
        if users.list_users(session):
            return {}
        created = {}
        for name, role in DEMO_ROLES.items():
            password = secrets.token_urlsafe(9)
            users.add_user(session, name, role, password, actor="demo")
            created[name] = password
    path = lib.settings.home / ACCOUNTS_FILE
    write_private(path, "".join(f"{n}\t{DEMO_ROLES[n]}\t{p}\n" for n, p in created.items()))
    return created
