"""Liveness of the parts the app cannot work without."""

import sqlalchemy as sa

from comarketing.extensions import db


def check_database() -> None:
    """Raise the driver's error when the database does not answer."""
    db.session.execute(sa.text("SELECT 1"))
