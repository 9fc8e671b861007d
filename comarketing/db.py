"""Declarative base with a constraint naming convention, and shared column helpers."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Annotated, Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import DeclarativeBase, Session, mapped_column, scoped_session

# Named constraints make migrations reproducible and let SQLite batch mode drop them by name.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    """Called per row: a default computed at import time would stamp every row alike."""
    return datetime.now(UTC)


def upsert_insert(session: Session | scoped_session[Any], target: Any) -> Any:
    """An INSERT of ``target`` (a table or mapped class) for the session's backend, which can
    take ``on_conflict_do_update`` / ``on_conflict_do_nothing``: both backends we run share
    that form, so a row two writers create at once is written once, never refused."""
    dialect: Any = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    return dialect.insert(target)


def page_and_total(
    session: Session | scoped_session[Any],
    query: sa.Select[Any],
    order_by: Sequence[Any],
    *,
    page: int,
    per_page: int,
) -> tuple[list[Any], int]:
    """One page of an ORM query's entities and how many match in all, in one statement: the
    count is a window over the matches, worked out before the page is cut. A page past the end
    has no row to carry it: it is counted apart."""
    found = session.execute(
        query.add_columns(sa.func.count().over())
        .order_by(*order_by)
        .offset((max(page, 1) - 1) * per_page)
        .limit(per_page)
    ).all()
    if found:
        return [row[0] for row in found], int(found[0][-1])
    total = session.scalar(sa.select(sa.func.count()).select_from(query.subquery()))
    return [], int(total or 0)


class UTCDateTime(sa.types.TypeDecorator[datetime]):
    """Timezone-aware UTC timestamps on every backend.

    SQLite has no timezone type and hands back naive values; this decorator stores UTC and
    always returns aware datetimes, so comparisons never mix naive and aware values.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use an aware UTC datetime")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


int_pk = Annotated[int, mapped_column(primary_key=True)]
created_at = Annotated[datetime, mapped_column(UTCDateTime(), default=utcnow, nullable=False)]
