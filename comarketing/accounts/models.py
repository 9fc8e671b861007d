"""Organizations, users, user invitations and password resets."""

from __future__ import annotations

import secrets
import time
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from comarketing.accounts.names import MAX_FOLDED_LENGTH, fold_name
from comarketing.db import UTCDateTime, utcnow
from comarketing.extensions import Model
from comarketing.policy import Role


def _new_session_token() -> str:
    return secrets.token_urlsafe(32)


class Organization(Model):
    __tablename__ = "organizations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    # The name as compared (see names.fold_name), kept in step with ``name``: unique, so no
    # company can take a look-alike of another's name.
    name_folded: Mapped[str] = mapped_column(sa.String(MAX_FOLDED_LENGTH), unique=True)
    slug: Mapped[str] = mapped_column(sa.String(140), unique=True)
    # How many business days this organization's reviewers get to decide on an offer revision.
    review_business_days: Mapped[int] = mapped_column(default=2, server_default="2")
    # "Four eyes": even an approver's or admin's own offer proposal needs a second approver of
    # this organization before it counts as the organization's approval.
    four_eyes: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    # How many business days this organization takes to confirm or dispute an expense claim of
    # a partner before it counts as confirmed (the longest of a campaign's parties applies).
    claim_confirmation_business_days: Mapped[int] = mapped_column(default=5, server_default="5")
    # The smallest count of people a figure about another company's audience may show
    # (audiences.disclosure): the highest of the parties' applies; never below 50.
    audience_minimum: Mapped[int] = mapped_column(default=100, server_default="100")
    # Where the company works: its IANA time zone (deadlines end at its midnights, its "today"
    # bounds results) and its country (ISO 3166 alpha-2, "" for none) for public holidays.
    time_zone: Mapped[str] = mapped_column(sa.String(64), default="UTC", server_default="UTC")
    country: Mapped[str] = mapped_column(sa.String(2), default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (sa.CheckConstraint("audience_minimum >= 50", name="audience_minimum_floor"),)

    users: Mapped[list[User]] = relationship(back_populates="organization", lazy="raise")

    @validates("name")
    def _fold_name(self, _key: str, name: str) -> str:
        self.name_folded = fold_name(name)
        return name

    def __repr__(self) -> str:
        return f"<Organization {self.id} {self.slug}>"


class User(Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    # Stored lower-cased and trimmed, so uniqueness is case-insensitive on every backend.
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    role: Mapped[str] = mapped_column(sa.String(20), default=Role.ANALYST.value)
    active: Mapped[bool] = mapped_column(default=True)
    # What the session cookie carries instead of the id. Rotated at sign-out and password
    # change, so a copied cookie stops working at once.
    session_token: Mapped[str] = mapped_column(
        sa.String(64), unique=True, default=_new_session_token
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_sign_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    password_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The person's own IANA time zone, overriding the company's for what they read (None: the
    # company's).
    time_zone: Mapped[str | None] = mapped_column(sa.String(64))

    organization: Mapped[Organization] = relationship(back_populates="users", lazy="joined")

    __table_args__ = (
        sa.CheckConstraint(
            "role IN ('admin', 'partner_manager', 'approver', 'analyst')", name="role_known"
        ),
    )

    # Flask-Login protocol.
    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return self.session_token

    def sign_in_id(self) -> str:
        """What a new sign-in's session and remember-me cookies carry: the session token and
        when it was issued, so :mod:`comarketing.accounts.sessions` can refuse a cookie older
        than its lifetime whatever the browser does with the cookie's own expiry."""
        return f"{self.session_token}.{int(time.time())}"

    def rotate_session_token(self) -> None:
        self.session_token = _new_session_token()

    @property
    def role_label(self) -> str:
        return Role(self.role).label

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email}>"


class UserInvitation(Model):
    """An admin's invitation for a colleague to join the same organization."""

    __tablename__ = "user_invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    email: Mapped[str] = mapped_column(sa.String(254))
    role: Mapped[str] = mapped_column(sa.String(20))
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    invited_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    organization: Mapped[Organization] = relationship(lazy="joined")

    @property
    def is_open(self) -> bool:
        return self.accepted_at is None and self.revoked_at is None and self.expires_at > utcnow()


class PasswordReset(Model):
    __tablename__ = "password_resets"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


def reading_zone() -> sa.ColumnElement[str]:
    """The zone a user reads times in, as SQL over ``users``: their own, else their company's
    (for mail written in each recipient's zone)."""
    company = (
        sa.select(Organization.time_zone)
        .where(Organization.id == User.organization_id)
        .scalar_subquery()
    )
    return sa.func.coalesce(User.time_zone, company)
