"""Domain errors raised by services. Views and the API translate them into responses."""

from __future__ import annotations


class DomainError(Exception):
    """Base class: a request that the domain refuses."""

    status_code = 400

    def __init__(self, message: str = "", *, field: str | None = None) -> None:
        super().__init__(message or self.__class__.__doc__ or "")
        self.message = message or (self.__class__.__doc__ or "").strip()
        self.field = field


class NotFound(DomainError):
    """Not found."""

    status_code = 404


class Forbidden(DomainError):
    """You are not allowed to do that."""

    status_code = 403


class Conflict(DomainError):
    """The record changed or is in a state that does not allow this."""

    status_code = 409


class InvalidTransition(Conflict):
    """That step is not allowed from the current state."""


class ValidationFailed(DomainError):
    """The input is not valid. ``field`` names the offending input where there is one."""

    status_code = 422


class InvalidCredentials(DomainError):
    """Unknown email or wrong password — deliberately indistinguishable."""

    status_code = 401


class TooLarge(DomainError):
    """That upload is larger than allowed."""

    status_code = 413
