"""A request that only read ends its transaction with COMMIT (PostgreSQL keeps the statements
psycopg prepared); one that wrote, or holds unflushed changes, still rolls back."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from comarketing import read_only_end
from comarketing.accounts.models import Organization
from comarketing.extensions import db
from tests import factories

RENAMED = "Renamed without a commit"


def _app_with_routes(make_app: Any) -> Any:
    app = make_app(own=True)
    with app.app_context():
        world = factories.build_world()
        organization_id = world.a.id

    def read() -> str:
        names = db.session.scalars(
            sa.select(Organization.name).where(Organization.id == organization_id)
        ).all()
        return ",".join(names)

    def write_by_statement() -> str:
        db.session.execute(
            sa.update(Organization).where(Organization.id == organization_id).values(name=RENAMED)
        )
        return "written, not committed"

    def change_an_object() -> str:
        organization = db.session.get(Organization, organization_id)
        assert organization is not None
        organization.name = RENAMED  # dirty, never flushed
        return "changed, not committed"

    def prepared() -> str:
        # What this connection holds prepared (PostgreSQL only), after the same read again.
        read()
        return str(db.session.scalar(sa.text("SELECT count(*) FROM pg_prepared_statements")))

    def prepared_after_a_write() -> str:
        write_by_statement()
        return prepared()

    for rule, view in (
        ("/t/read", read),
        ("/t/write", write_by_statement),
        ("/t/change", change_an_object),
        ("/t/prepared", prepared),
        ("/t/prepared-after-write", prepared_after_a_write),
    ):
        app.add_url_rule(rule, rule, view)
    return app, organization_id


def _name(app: Any, organization_id: int) -> str:
    with app.app_context():
        return str(db.session.get(Organization, organization_id).name)  # type: ignore[union-attr]


def test_a_request_that_wrote_without_committing_still_rolls_back(make_app: Any) -> None:
    app, organization_id = _app_with_routes(make_app)
    before = _name(app, organization_id)
    client = app.test_client()
    for path in ("/t/write", "/t/change", "/t/read"):
        assert client.get(path).status_code == 200
        assert _name(app, organization_id) == before != RENAMED


@pytest.mark.pg_only
def test_statements_of_read_only_requests_stay_prepared_and_a_write_forgets_them(
    make_app: Any,
) -> None:
    app, _ = _app_with_routes(make_app)
    client = app.test_client()
    # psycopg prepares a statement at its sixth run on a connection; a ROLLBACK forgets them all.
    counts = [int(client.get("/t/prepared").get_data(as_text=True)) for _ in range(8)]
    assert counts[0] == 0 and counts[-1] >= 1
    after_write = [
        int(client.get("/t/prepared-after-write").get_data(as_text=True)) for _ in range(8)
    ]
    # Each of these requests ends with ROLLBACK (it wrote): nothing is ever kept prepared
    # beyond the request that prepared it, so the count never grows past what one request does.
    assert max(after_write) <= 2
    assert int(client.get("/t/prepared").get_data(as_text=True)) <= 2


def test_only_selects_count_as_reads() -> None:
    reads = read_only_end._reads
    assert reads("SELECT 1", None)
    assert reads("  select users.id FROM users", None)
    assert reads("SELECT\nusers.id FROM users", None)
    for statement in (
        "WITH moved AS (DELETE FROM t RETURNING *) SELECT * FROM moved",
        "SET LOCAL statement_timeout = 100",
        "INSERT INTO t VALUES (1)",
        "UPDATE t SET a = 1",
        "DELETE FROM t",
        "SELECTED",
    ):
        assert not reads(statement, None), statement


def test_a_request_whose_read_failed_and_was_handled_still_ends_cleanly(make_app: Any) -> None:
    """A SELECT that failed (PostgreSQL aborts the transaction) and that the view answered
    for: the end of the request must not turn into a server error."""
    app, _ = _app_with_routes(make_app)

    def failed_read() -> str:
        try:
            db.session.execute(sa.text("SELECT * FROM no_such_table"))
        except sa.exc.DBAPIError:
            return "handled"
        return "no error"

    app.add_url_rule("/t/failed-read", "/t/failed-read", failed_read)
    client = app.test_client()
    response = client.get("/t/failed-read")
    assert (response.status_code, response.get_data(as_text=True)) == (200, "handled")
    assert client.get("/t/read").status_code == 200
