"""A multipart upload over its limit answers 413 naming the limit and the field ``file``,
whether Werkzeug refuses the body while reading it or the service while storing it."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import ParamSpec

from flask import Response, current_app, request
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import RequestEntityTooLarge

from comarketing.api.errors import error_response
from comarketing.metrics.uploads import size_label

P = ParamSpec("P")
View = Callable[P, ResponseReturnValue]


def too_large(limit_key: str, what: str) -> Response:
    """413 for a file over ``config[limit_key]``; ``what`` names the file ("a results file")."""
    limit = size_label(int(current_app.config[limit_key]))
    message = f"The file is larger than allowed: {what} may be at most {limit}."
    response: Response = current_app.make_response(
        error_response(
            413,
            message,
            field="file",
            errors=[{"location": "files", "field": "file", "message": message}],
        )
    )
    return response


def size_checked(limit_key: str, what: str) -> Callable[[View[P]], View[P]]:
    """Wrap an upload operation so every way of being too large answers :func:`too_large`."""

    def decorate(view: View[P]) -> View[P]:
        @wraps(view)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> ResponseReturnValue:
            limit = request.max_content_length
            if limit is not None and (request.content_length or 0) > limit:
                return too_large(limit_key, what)
            try:
                response = current_app.make_response(view(*args, **kwargs))
            except RequestEntityTooLarge:
                return too_large(limit_key, what)
            if response.status_code == 413:
                return too_large(limit_key, what)
            return response

        return wrapper

    return decorate
