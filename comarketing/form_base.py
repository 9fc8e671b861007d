"""The base of every HTML form: FlaskForm, and no field may hold a NUL character (issue 17).

PostgreSQL cannot store NUL, and no text of ours needs it. ``input_guard`` lets a NUL through
to the view only in a field that some form declares (:func:`declared_names`); that form then
refuses it next to the field, like any other bad input. Anywhere else (a field read by hand, a
nested field, a file name) the guard answers 422 naming the field before any view runs.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache
from typing import Any

from flask_wtf import FlaskForm
from wtforms import Field
from wtforms.fields.core import UnboundField

NUL_MESSAGE = "Remove the NUL character (\\0) from this field; text cannot contain it."
# Declared by a form, yet also read by hand from the request (metrics' column mapping): the
# guard keeps refusing a NUL there itself.
READ_BY_HAND = frozenset({"date_order"})


def holds_nul(field: Field) -> bool:
    return any(isinstance(value, str) and "\x00" in value for value in field.raw_data or ())


class AppForm(FlaskForm):
    def validate(self, extra_validators: Any = None) -> bool:
        valid = bool(super().validate(extra_validators=extra_validators))
        for field in self:
            if holds_nul(field):
                field.errors = [*field.errors, NUL_MESSAGE]
                valid = False
        return valid


def _forms(cls: type) -> Iterator[type]:
    sub: type
    for sub in cls.__subclasses__():
        yield sub
        yield from _forms(sub)


@cache
def declared_names() -> frozenset[str]:
    """The top-level field names the app's forms declare (once every form module is loaded,
    at the first request)."""
    return (
        frozenset(
            name
            for form in _forms(AppForm)
            for name in dir(form)
            if isinstance(getattr(form, name, None), UnboundField)
        )
        - READ_BY_HAND
    )
