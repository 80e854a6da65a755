"""Numbered plain-SQL migrations, applied once each, in order, under an advisory lock."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import asyncpg
import msgspec

MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"
# Any constant works; it only has to be the same in every process that migrates.
ADVISORY_LOCK_KEY = 0x7A5EE1
FILE_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")

CREATE_LEDGER = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    version     integer PRIMARY KEY,
    name        text NOT NULL,
    checksum    text NOT NULL,
    applied_at  timestamptz NOT NULL DEFAULT now()
)
"""
SELECT_APPLIED = "SELECT version, name, checksum FROM schema_migrations ORDER BY version"
INSERT_APPLIED = "INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)"


class Migration(msgspec.Struct, frozen=True, kw_only=True):
    version: int
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()


class MigrationChanged(Exception):
    """An applied migration file no longer matches what was applied."""

    def __init__(self, name: str) -> None:
        super().__init__(
            f"migration {name} was already applied, but the file has changed since. "
            "Applied migrations are history: put the change in a new numbered file."
        )
        self.name = name


def discover(directory: Path = MIGRATIONS_DIR) -> list[Migration]:
    """The migration files in version order; a malformed name or a repeated number is an error."""
    found: dict[int, Migration] = {}
    for path in sorted(directory.glob("*.sql")):
        match = FILE_NAME.match(path.name)
        if match is None:
            raise ValueError(f"{path.name}: migration files are named NNNN_words.sql")
        version = int(match.group(1))
        if version in found:
            raise ValueError(f"{path.name}: version {version} is used twice")
        found[version] = Migration(version=version, name=path.name, sql=path.read_text())
    return [found[v] for v in sorted(found)]


async def migrate(conn: asyncpg.Connection, directory: Path = MIGRATIONS_DIR) -> list[str]:
    """Apply every pending migration; return the names applied (empty when up to date)."""
    migrations = discover(directory)
    await conn.execute("SELECT pg_advisory_lock($1)", ADVISORY_LOCK_KEY)
    try:
        await conn.execute(CREATE_LEDGER)
        applied = {r["version"]: r for r in await conn.fetch(SELECT_APPLIED)}
        for migration in migrations:
            row = applied.get(migration.version)
            if row is not None and row["checksum"] != migration.checksum:
                raise MigrationChanged(migration.name)
        done = []
        for migration in migrations:
            if migration.version not in applied:
                async with conn.transaction():
                    await conn.execute(migration.sql)
                    await conn.execute(INSERT_APPLIED, migration.version, migration.name,
                                       migration.checksum)
                done.append(migration.name)
        return done
    finally:
        await conn.execute("SELECT pg_advisory_unlock($1)", ADVISORY_LOCK_KEY)
