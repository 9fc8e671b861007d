"""``Idempotency-Key`` for API write endpoints: a retried request is answered, not repeated.

The first request with a key claims it (an in-progress row, committed in its own short
transaction, so a concurrent retry sees it at once), runs the handler and stores the status
and JSON body. Then, for the same user and key:

* the same request (method, path, query and body) gets the stored answer again, with
  ``Idempotent-Replayed: true``; a JSON body counts as the same when it parses to the same
  value (key order and whitespace do not matter), a multipart body when only its boundary
  differs;
* a different request gets 422 naming the ``Idempotency-Key`` field;
* a retry while the first is still running gets 409;
* a first attempt that failed with a server error leaves no row, so a retry runs afresh.

Keys expire after 24 hours: an older record is purged and the key may be used again.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import wraps
from typing import Any, ParamSpec

import sqlalchemy as sa
from flask import Response, current_app, jsonify, request
from flask.typing import ResponseReturnValue
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from comarketing.api import errors
from comarketing.api.auth import current_caller
from comarketing.api.models import IdempotencyRecord
from comarketing.db import utcnow
from comarketing.extensions import db

P = ParamSpec("P")

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
KEY_LIFETIME = timedelta(hours=24)
# Visible ASCII, 1 to 200 characters: a UUID, a hash, a client's own request id.
_KEY = re.compile(r"^[\x21-\x7e]{1,200}$", re.ASCII)
_CLAIM_ATTEMPTS = 3


def fingerprint(method: str, path: str, query: bytes, body: bytes) -> str:
    digest = hashlib.sha256()
    for part in (method.upper().encode(), path.encode(), query, body):
        # Length-prefixed, so no two different requests share one byte string.
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


@dataclass(frozen=True)
class Claim:
    """What the key's record says: ours to run (record_id), or an earlier answer, or busy."""

    record_id: int | None = None
    stored: IdempotencyRecord | None = None
    busy: bool = False
    mismatch: bool = False


def _session() -> Session:
    # Its own session and connection: the claim commits at once, whatever the request's
    # session holds, and the handler's own transaction stays the handler's.
    return Session(db.engine, expire_on_commit=False)


def claim(user_id: int, key: str, method: str, path: str, request_fingerprint: str) -> Claim:
    now = utcnow()
    with _session() as session:
        for _ in range(_CLAIM_ATTEMPTS):
            try:
                with session.begin():
                    session.execute(
                        sa.delete(IdempotencyRecord).where(
                            IdempotencyRecord.user_id == user_id,
                            IdempotencyRecord.created_at < now - KEY_LIFETIME,
                        )
                    )
                    record = IdempotencyRecord(
                        user_id=user_id,
                        key=key,
                        method=method,
                        path=path[:500],
                        request_fingerprint=request_fingerprint,
                        created_at=now,
                    )
                    session.add(record)
                    session.flush()
                    return Claim(record_id=record.id)
            except IntegrityError:
                pass  # the key is taken: look at what holds it
            with session.begin():
                existing = session.scalar(
                    sa.select(IdempotencyRecord).where(
                        IdempotencyRecord.user_id == user_id, IdempotencyRecord.key == key
                    )
                )
            if existing is None:
                continue  # released by a failed first attempt in the meantime: claim again
            if existing.request_fingerprint != request_fingerprint:
                return Claim(mismatch=True)
            if existing.status_code is None:
                return Claim(busy=True)
            return Claim(stored=existing)
    return Claim(busy=True)


def finish(record_id: int, status: int, body: Any) -> None:
    with _session() as session, session.begin():
        session.execute(
            sa.update(IdempotencyRecord)
            .where(IdempotencyRecord.id == record_id)
            .values(status_code=status, response_body=body)
        )


def release(record_id: int) -> None:
    with _session() as session, session.begin():
        session.execute(sa.delete(IdempotencyRecord).where(IdempotencyRecord.id == record_id))


def purge_expired(now: datetime | None = None) -> int:
    """Delete every record older than the key lifetime (for a periodic job)."""
    cutoff = (now or utcnow()) - KEY_LIFETIME
    with _session() as session, session.begin():
        result = session.execute(
            sa.delete(IdempotencyRecord).where(IdempotencyRecord.created_at < cutoff)
        )
    return int(getattr(result, "rowcount", 0) or 0)


def _key_error(status: int, message: str) -> Response:
    return errors.error_response(
        status,
        message,
        field=HEADER,
        errors=[{"location": "header", "field": HEADER, "message": message}],
    )


def _replay(record: IdempotencyRecord) -> Response:
    response = (
        jsonify(record.response_body)
        if record.response_body is not None
        else Response(b"", mimetype="application/json")
    )
    response.status_code = record.status_code or 200
    response.headers[REPLAYED_HEADER] = "true"
    return response


def _canonical_json(body: bytes) -> bytes | None:
    """A JSON body as its parsed value, written one way (sorted keys, no spaces); None when
    it does not parse (its bytes are compared then)."""
    try:
        value = json.loads(body)
    except (ValueError, RecursionError):  # not JSON, not UTF-8, or nested past any use
        return None
    return b"json:" + json.dumps(value, sort_keys=True, separators=(",", ":")).encode()


def _body_bytes() -> bytes:
    """The body as sent, with a multipart body's boundary made neutral: clients pick a fresh
    random boundary for every request, so a retry of the same form and files would otherwise
    look like a different request. A JSON body is compared by its parsed value."""
    body = request.get_data()
    if request.is_json:
        canonical = _canonical_json(body)
        if canonical is not None:
            return canonical
    boundary = request.mimetype_params.get("boundary")
    if request.mimetype == "multipart/form-data" and boundary:
        body = body.replace(b"--" + boundary.encode("latin-1", "replace"), b"--boundary")
    return body


def idempotent(view: Callable[P, ResponseReturnValue]) -> Callable[P, ResponseReturnValue]:
    """Honour ``Idempotency-Key`` on a write endpoint. Put it under ``auth_required`` (it
    keys records by the token's user) and above ``input`` (a refused body is an answer too)."""

    @wraps(view)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> ResponseReturnValue:
        key = request.headers.get(HEADER)
        if key is None:
            return view(*args, **kwargs)
        if not _KEY.match(key):
            return _key_error(422, "Use 1 to 200 visible ASCII characters (a UUID, say).")
        request_fingerprint = fingerprint(
            request.method, request.path, request.query_string, _body_bytes()
        )
        outcome = claim(
            current_caller().user.id, key, request.method, request.path, request_fingerprint
        )
        if outcome.mismatch:
            return _key_error(422, "This Idempotency-Key was already used for a different request.")
        if outcome.stored is not None:
            return _replay(outcome.stored)
        if outcome.record_id is None:
            response = _key_error(
                409, "A request with this Idempotency-Key is still running; retry shortly."
            )
            response.headers["Retry-After"] = "1"
            return response
        record_id = outcome.record_id
        try:
            response = current_app.make_response(view(*args, **kwargs))
        except BaseException as exc:
            if errors.status_of(exc) >= 500 or not isinstance(exc, Exception):
                release(record_id)
                raise
            # A refusal (validation, not found, conflict) is the answer to this request.
            response = errors.response_for(exc)
        if response.status_code >= 500:
            release(record_id)
            return response
        finish(record_id, response.status_code, response.get_json(silent=True))
        return response

    return wrapper
