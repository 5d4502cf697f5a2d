"""On a PostgreSQL store the window applies the command line's login rule: the acting person is the
server login's person, and naming anyone else (--as) is refused with one sentence.

Uses the throwaway PostgreSQL server of tests/pg.py (skipped, naming why, where none is installed;
a failure under CI).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest

from auditdesk import services
from auditdesk.services import server_roles
from tests.pg import PgCluster, cluster_or_skip, running_cluster
from tests.ui.conftest import MessageLog, _window
from ui.app import open_store_interactively
from ui.context import AppContext

PASSWORD = "pw-for-tests"
_names = itertools.count(1)


@pytest.fixture(scope="module")
def pg_server() -> Iterator[PgCluster | str]:
    with running_cluster() as value:
        yield value


@pytest.fixture
def ta_url(pg_server: PgCluster | str) -> str:
    """A store where Toni Alvarez (TA, manager) has the login ..._ta; the URL that logs in as TA."""
    cluster = cluster_or_skip(pg_server)
    database = cluster.new_database(prefix=f"uilogin{next(_names)}")
    owner = services.open_store(cluster.url(database))  # the owner sets up, acting as given
    try:
        services.add_person(owner.uow("DW"), name="Dana Whitfield", initials="DW", role="partner")
        services.add_person(owner.uow("DW"), name="Toni Alvarez", initials="TA", role="manager")
        login = f"{database}_ta"
        cluster.sql(f"CREATE ROLE {login} LOGIN PASSWORD '{PASSWORD}'")
        server_roles.set_db_login(owner.uow("DW"), "TA", login)
        server_roles.grant_roles(owner)
    finally:
        owner.close()
    return cluster.url(database, login, PASSWORD)


def test_the_window_acts_as_the_server_logins_person(
    qtbot, store: services.Store, ta_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.delenv("AUDITDESK_USER", raising=False)
    ctx = AppContext(store, explicit_actor=None)
    window = _window(qtbot, ctx)
    assert ctx.actor != "TA"  # on the SQLite file: the profile or the OS login, as before
    assert window.switch_store(ta_url)
    assert ctx.store.enforce_logins
    assert ctx.actor == "TA"
    assert window.user_label.text().startswith("User: TA (Toni Alvarez")
    # Its writes act as TA (the trail names TA).
    services.add_person(ctx.store.uow(ctx.actor), name="Sam Okafor", initials="SO", role="staff")
    assert services.recent_events(ctx.store.reader(), limit=1)[-1].actor == "TA"


def test_naming_someone_else_on_a_server_store_is_refused(
    qtbot, store: services.Store, ta_url: str, messages: MessageLog, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.delenv("AUDITDESK_USER", raising=False)
    ctx = AppContext(store, explicit_actor="DW")
    window = _window(qtbot, ctx)
    assert not window.switch_store(ta_url)
    assert "--as DW is not accepted on a server store" in messages.last
    assert ctx.store is store  # still on the file it had open


def test_starting_on_a_server_store_applies_the_login_rule(
    qtbot, ta_url: str, messages: MessageLog, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.delenv("AUDITDESK_USER", raising=False)
    opened = open_store_interactively(ta_url)
    assert opened is not None
    try:
        assert opened.enforce_logins
        assert opened.login_person == "TA"
        assert AppContext(opened, explicit_actor=None).actor == "TA"
    finally:
        opened.close()
    messages.reply = "reject"  # the refusal offers another store; the user closes it
    assert open_store_interactively(ta_url, explicit_actor="DW") is None
    assert "--as DW is not accepted on a server store" in messages.texts[-1]
