"""Who is acting and from where: passed explicitly into every service call.

Services never read ``flask.request`` or ``current_user``; the web layer builds an
:class:`Actor` (or a bare :class:`Origin` before sign-in) and hands it over.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from comarketing.accounts.models import User


@dataclass(frozen=True)
class Origin:
    ip: str | None = None
    request_id: str | None = None


@dataclass(frozen=True)
class Actor:
    user: User
    origin: Origin = Origin()

    @property
    def organization_id(self) -> int:
        return self.user.organization_id

    @property
    def user_id(self) -> int:
        return self.user.id
