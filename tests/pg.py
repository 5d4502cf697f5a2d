"""A throwaway PostgreSQL server for the test run (tests only).

The cluster lives in a private temporary folder, listens on a free port of
127.0.0.1 (and on a socket in that folder), trusts its superuser and asks
every other role for a password. Each test gets a database of its own, copied
from a template that was migrated once: ``CREATE DATABASE ... TEMPLATE`` is a
file copy, far quicker than running the migrations again.

Running as root, the server runs as the ``postgres`` user (or ``nobody``):
initdb refuses root.
"""

from __future__ import annotations

import contextlib
import glob
import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

SUPERUSER = "auditdesk"
TEMPLATE = "auditdesk_tpl"
NOT_INSTALLED = "PostgreSQL is not installed (apt-get install postgresql)"


def pg_bindir() -> Path | None:
    """The newest installed server's bin folder (Debian keeps them under /usr/lib/postgresql/N/bin)."""
    found = sorted(
        (Path(p).parent for p in glob.glob("/usr/lib/postgresql/*/bin/initdb")),
        key=lambda d: int(d.parent.name) if d.parent.name.isdigit() else 0,
    )
    if found:
        return found[-1]
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def require_pg() -> bool:
    """Under CI, or when asked, a missing server fails the run instead of skipping."""
    return bool(os.environ.get("CI")) or os.environ.get("AUDITDESK_REQUIRE_PG") == "1"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class PgCluster:
    """One server: start, hand out databases, stop."""

    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.root = Path(tempfile.mkdtemp(prefix="auditdesk-pg-"))
        self.data = self.root / "data"
        self.port = 0
        self._counter = itertools.count(1)
        self._run_as: tuple[int, int] | None = None
        if os.geteuid() == 0:
            account = None
            for name in ("postgres", "nobody"):
                with contextlib.suppress(KeyError):
                    account = pwd.getpwnam(name)
                    break
            if account is None:
                raise RuntimeError("no unprivileged account (postgres or nobody) to run PostgreSQL as")
            self._run_as = (account.pw_uid, account.pw_gid)
            os.chown(self.root, account.pw_uid, account.pw_gid)

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        kwargs: dict[str, object] = {}
        if self._run_as is not None:
            kwargs = {"user": self._run_as[0], "group": self._run_as[1], "extra_groups": []}
        env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
        env["LC_ALL"] = "C"
        return subprocess.run(
            [str(self.bindir / args[0]), *args[1:]],
            capture_output=True,
            text=True,
            cwd=self.root,
            env=env,
            check=check,
            timeout=120,
            **kwargs,  # type: ignore[call-overload]
        )

    def start(self) -> None:
        self._run(
            "initdb", "-D", str(self.data), "-U", SUPERUSER, "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync"
        )
        (self.data / "pg_hba.conf").write_text(
            f"local all all trust\nhost all {SUPERUSER} 127.0.0.1/32 trust\nhost all all 127.0.0.1/32 scram-sha-256\n"
        )
        options = (
            "-c listen_addresses=127.0.0.1 -c unix_socket_directories={sock} -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=60 -c shared_buffers=32MB"
        )
        last = ""
        for _attempt in range(3):  # another program may take the free port first
            self.port = _free_port()
            started = self._run(
                "pg_ctl", "-D", str(self.data), "-l", str(self.root / "server.log"), "-w", "-t", "60",
                "-o", f"-p {self.port} " + options.format(sock=self.root), "start",
                check=False,
            )  # fmt: skip
            if started.returncode == 0:
                return
            last = started.stderr + (self.root / "server.log").read_text(errors="replace")[-2000:]
        raise RuntimeError(f"PostgreSQL did not start: {last}")

    def stop(self) -> None:
        if self.data.exists():
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop", check=False)
        shutil.rmtree(self.root, ignore_errors=True)

    def url(self, database: str, user: str = SUPERUSER, password: str | None = None) -> str:
        auth = user if password is None else f"{user}:{password}"
        return f"postgresql+psycopg://{auth}@127.0.0.1:{self.port}/{database}"

    def sql(self, statement: str, database: str = "postgres") -> None:
        """Run one statement as the superuser, outside a transaction (CREATE DATABASE needs that)."""
        import psycopg

        with psycopg.connect(
            host="127.0.0.1", port=self.port, user=SUPERUSER, dbname=database, autocommit=True
        ) as conn:
            conn.execute(statement)  # type: ignore[arg-type]

    def new_database(self, *, template: str | None = TEMPLATE, prefix: str = "t") -> str:
        name = f"{prefix}_{next(self._counter)}"
        self.sql(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
        return name


def _migrated_template(cluster: PgCluster) -> None:
    from auditdesk.storage.uow import Store

    cluster.sql(f'CREATE DATABASE "{TEMPLATE}"')
    store = Store.open(cluster.url(TEMPLATE))
    store.close()


@contextlib.contextmanager
def running_cluster() -> Iterator[PgCluster | str]:
    """The started cluster with its template, or the reason there is none."""
    bindir = pg_bindir()
    if bindir is None:
        yield NOT_INSTALLED
        return
    cluster = PgCluster(bindir)
    try:
        started = time.monotonic()
        cluster.start()
        _migrated_template(cluster)
        cluster.startup_seconds = time.monotonic() - started  # type: ignore[attr-defined]
        yield cluster
    finally:
        cluster.stop()


def cluster_or_skip(value: PgCluster | str) -> PgCluster:
    if isinstance(value, str):
        if require_pg():
            pytest.fail(f"{value}; CI needs it (AUDITDESK_REQUIRE_PG or CI is set).")
        pytest.skip(value)
    return value


UrlFactory = Callable[[], str]
