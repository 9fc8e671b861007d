"""Security headers on every response, generic error pages, safe logs, body limits
(SECURITY.md 43-47)."""

from __future__ import annotations

import contextlib
import io
import logging
import re
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask

from comarketing.ops.logs import RequestIdFilter, SingleLineFormatter
from tests.conftest import login
from tests.factories import TEST_PASSWORD, World

# Nothing listens on port 1: connecting fails at once, like a database that is down.
DEAD_DATABASE = "postgresql+psycopg://postgres@127.0.0.1:1/x"
BOOM = "boom-detail-7731: SELECT password_hash FROM users"


def assert_security_headers(response: Any, *, static: bool = False) -> None:
    headers = response.headers
    csp = headers.get("Content-Security-Policy", "")
    directives = {d.strip() for d in csp.split(";")}
    for required in (
        "default-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
        "form-action 'self'",
    ):
        assert required in directives, f"CSP lacks {required!r}: {csp!r}"
    assert headers.get("X-Content-Type-Options") == "nosniff"
    hsts = headers.get("Strict-Transport-Security", "")
    max_age = re.search(r"max-age=(\d+)", hsts)
    assert max_age and int(max_age.group(1)) >= 31_536_000, hsts
    assert "includesubdomains" in hsts.lower(), hsts
    assert headers.get("Referrer-Policy") in {
        "no-referrer",
        "same-origin",
        "strict-origin",
        "strict-origin-when-cross-origin",
    }
    cache_control = headers.get("Cache-Control", "")
    if static:
        assert "no-store" not in cache_control
    else:
        assert "no-store" in cache_control, f"{response.status_code}: {cache_control!r}"


def app_with_failing_route(make_app: Any) -> Flask:
    app = make_app(own=True)

    def boom() -> str:
        raise RuntimeError(BOOM)

    app.add_url_rule("/boom", "boom", boom)
    return app


@contextlib.contextmanager
def app_log_output() -> Iterator[io.StringIO]:
    """The comarketing log as the app formats it: its own formatter and request-id filter."""
    logger = logging.getLogger("comarketing")
    formatter = next(
        h.formatter for h in logger.handlers if isinstance(h.formatter, SingleLineFormatter)
    )
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter)
    handler.addFilter(RequestIdFilter())
    logger.addHandler(handler)
    try:
        yield stream
    finally:
        logger.removeHandler(handler)


def app_records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name.split(".")[0] == "comarketing"]


# ---------------------------------------------------------------------------------------------
# 43, 44. Headers on every kind of response


def _signed_in_page(app: Flask, make_app: Any, world: World) -> Any:
    client = app.test_client()
    login(client, world.a.email("analyst"))
    return client.get("/dashboard")


SCENARIOS: dict[str, tuple[Callable[[Flask, Any, World], Any], int]] = {
    "signed-in page": (_signed_in_page, 200),
    "sign-in page": (lambda app, make_app, world: app.test_client().get("/login"), 200),
    "redirect to sign-in": (lambda app, make_app, world: app.test_client().get("/dashboard"), 302),
    "404": (lambda app, make_app, world: app.test_client().get("/no-such-page"), 404),
    "console": (lambda app, make_app, world: app.test_client().get("/console"), 404),
    "405": (lambda app, make_app, world: app.test_client().get("/logout"), 405),
    "csrf 400": (
        lambda app, make_app, world: (
            make_app(WTF_CSRF_ENABLED=True)
            .test_client()
            .post("/login", data={"email": "a@a.example", "password": "x" * 10})
        ),
        400,
    ),
    "413": (
        lambda app, make_app, world: app.test_client().post(
            "/login", data={"email": "a@a.example", "password": "x" * (1024 * 1024)}
        ),
        413,
    ),
    "forced 500": (
        lambda app, make_app, world: app_with_failing_route(make_app).test_client().get("/boom"),
        500,
    ),
    "database down 503": (
        lambda app, make_app, world: (
            make_app(SQLALCHEMY_DATABASE_URI=DEAD_DATABASE).test_client().get("/healthz")
        ),
        503,
    ),
}


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_every_response_carries_the_security_headers(
    app: Flask, make_app: Any, world: World, scenario: str
) -> None:
    produce, status = SCENARIOS[scenario]
    response = produce(app, make_app, world)
    assert response.status_code == status
    assert_security_headers(response)


def test_static_files_carry_the_headers_and_may_be_cached(app: Flask) -> None:
    response = app.test_client().get("/static/css/app.css")
    try:
        assert response.status_code == 200
        assert_security_headers(response, static=True)
    finally:
        response.close()


def test_unexpected_exception_answers_a_generic_500(
    make_app: Any, caplog: pytest.LogCaptureFixture
) -> None:
    app = app_with_failing_route(make_app)
    response = app.test_client().get("/boom")
    assert response.status_code == 500
    body = response.get_data(as_text=True)
    assert "Something went wrong" in body
    for leak in ("boom-detail", "SELECT", "Traceback", "RuntimeError", 'File "'):
        assert leak not in body
    # "It was logged", as the page says — with the traceback, for the operators.
    logged = [r for r in app_records(caplog) if r.exc_info and r.exc_info[0] is RuntimeError]
    assert logged, "the unexpected exception was not logged"


def test_unreachable_database_answers_503_fast_and_plain(app: Flask, make_app: Any) -> None:
    # `app` is requested so the fixture's table cleanup runs against the real database.
    down = make_app(SQLALCHEMY_DATABASE_URI=DEAD_DATABASE)
    client = down.test_client()
    for method, path, data in [
        ("GET", "/healthz", None),
        ("POST", "/login", {"email": "a@a.example", "password": "x" * 10}),
    ]:
        start = time.monotonic()
        response = client.open(path, method=method, data=data)
        elapsed = time.monotonic() - start
        assert response.status_code == 503, (path, response.status_code)
        assert elapsed < 5, f"{method} {path} took {elapsed:.1f}s"
        assert response.headers.get("Retry-After")
        body = response.get_data(as_text=True)
        assert "cannot reach its database" in body
        for leak in ("psycopg", "OperationalError", "127.0.0.1:1", "refused", "postgres"):
            assert leak not in body


# ---------------------------------------------------------------------------------------------
# 45, 46. Logs


def test_crlf_in_username_is_logged_as_one_escaped_line(
    app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="comarketing")
    with app_log_output() as output:
        response = app.test_client().post(
            "/login", data={"email": "evil\r\nINFO ok", "password": "forged-line-password-1"}
        )
    assert response.status_code == 200
    records = app_records(caplog)
    # Control: the raw message really carries the line break the attacker sent.
    assert any("\n" in r.getMessage() for r in records)

    text = output.getvalue()
    lines = text.split("\n")[:-1]  # the handler ends each record with one "\n"
    assert len(lines) == len(records), lines
    assert "\r" not in text
    assert any("evil\\r\\ninfo ok" in line for line in lines), lines
    assert not any(line.lower().startswith("info ok") for line in lines)


def test_passwords_never_reach_the_logs(
    app: Flask, world: World, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="comarketing")
    wrong, new, signup_password = (
        "Wrong-Secret-4412",
        "New-Secret-Passphrase-8837",
        "Signup-Secret-2291",
    )
    with app_log_output() as output:
        client = app.test_client()
        assert (
            client.post(
                "/login", data={"email": world.a.email("analyst"), "password": wrong}
            ).status_code
            == 200
        )
        login(client, world.a.email("analyst"))
        response = client.post(
            "/account/password",
            data={"current_password": TEST_PASSWORD, "new_password": new, "confirm": new},
        )
        assert response.status_code == 302
        response = app.test_client().post(
            "/signup",
            data={
                "organization_name": "Delta Sugar",
                "name": "Dee",
                "email": "dee@d.example",
                "password": signup_password,
            },
        )
        assert response.status_code == 302
    everything = output.getvalue() + "\n".join(
        f"{r.getMessage()} {r.args!r} {r.__dict__!r}" for r in caplog.records
    )
    assert "auth.signed_in" in everything  # control: the sign-ins were logged at all
    for secret in (wrong, TEST_PASSWORD, new, signup_password):
        assert secret not in everything, f"password {secret!r} reached the logs"


def test_failed_sign_in_emits_a_structured_utc_security_line(
    app: Flask, world: World, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="comarketing")
    email = world.a.email("analyst")
    with app_log_output() as output:
        response = app.test_client().post(
            "/login",
            data={"email": email, "password": "wrong password!"},
            environ_overrides={"REMOTE_ADDR": "198.51.100.23"},
        )
    assert response.status_code == 200
    request_id = response.headers["X-Request-ID"]
    lines = [line for line in output.getvalue().splitlines() if "auth.sign_in_failed" in line]
    assert len(lines) == 1, output.getvalue()
    line = lines[0]
    for part in (
        f"user={email}",
        f"org={world.a.id}",
        "ip=198.51.100.23",
        f"request_id={request_id}",
    ):
        assert part in line, f"{part!r} missing from {line!r}"
    stamp = datetime.strptime(line.split(" ", 1)[0], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
    assert abs(datetime.now(UTC) - stamp) < timedelta(minutes=5), "timestamp is not UTC"


def test_csrf_failure_emits_a_security_event_naming_the_user(
    make_app: Any, world: World, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="comarketing")
    app = make_app(WTF_CSRF_ENABLED=True)
    email = world.a.email("analyst")
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    assert token
    signed_in = client.post(
        "/login", data={"email": email, "password": TEST_PASSWORD, "csrf_token": token.group(1)}
    )
    assert signed_in.status_code == 302
    with app_log_output() as output:
        # A forged cross-site sign-out: no token.
        response = client.post("/logout", environ_overrides={"REMOTE_ADDR": "203.0.113.9"})
    assert response.status_code == 400
    request_id = response.headers["X-Request-ID"]
    lines = [line for line in output.getvalue().splitlines() if "event=csrf_failed" in line]
    assert len(lines) == 1, output.getvalue()
    for part in (
        f"user={email}",
        f"org={world.a.id}",
        "ip=203.0.113.9",
        f"request_id={request_id}",
        "path=/logout",
    ):
        assert part in lines[0], f"{part!r} missing from {lines[0]!r}"
    # The refused sign-out did not sign anyone out.
    assert client.get("/dashboard").status_code == 200


# ---------------------------------------------------------------------------------------------
# 47. Body limits


def multipart_body(fields: dict[str, str], boundary: str) -> bytes:
    # Built by hand: the test client spools a large multipart body to a temporary file that
    # it never closes (a ResourceWarning, an error under filterwarnings=error).
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
        for name, value in fields.items()
    ]
    return ("".join(parts) + f"--{boundary}--\r\n").encode()


@pytest.mark.parametrize("encoding", ["urlencoded", "multipart"])
def test_one_megabyte_form_field_is_refused_with_413(app: Flask, encoding: str) -> None:
    fields = {"email": "dee@d.example", "password": "x" * (1024 * 1024)}
    if encoding == "multipart":
        boundary = "test-boundary-5b1f"
        response = app.test_client().post(
            "/login",
            data=multipart_body(fields, boundary),
            content_type=f"multipart/form-data; boundary={boundary}",
        )
    else:
        response = app.test_client().post("/login", data=fields)
    assert response.status_code == 413
    assert "larger than allowed" in response.get_data(as_text=True)
    assert_security_headers(response)


def test_form_just_under_the_limit_is_parsed(app: Flask) -> None:
    # Control for the 413 test: the limit sits at MAX_FORM_MEMORY_SIZE, not lower.
    limit = app.config["MAX_FORM_MEMORY_SIZE"]
    response = app.test_client().post(
        "/login", data={"email": "dee@d.example", "password": "x" * (limit - 100)}
    )
    assert response.status_code == 200


def test_ids_beyond_any_record_answer_404_not_500(client, login_as, world):
    login_as(world.a.email("admin"))
    for path in (
        "/campaigns/99999999999999999999999",
        "/offers/2147483648",
        "/metrics/imports/9223372036854775808",
    ):
        assert client.get(path).status_code == 404, path
