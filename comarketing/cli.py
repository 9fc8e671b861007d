"""Operator commands: ``flask worker`` and ``flask scheduler`` (the background job processes),
``flask seed-demo``, ``flask users ...``, ``flask tokens ...``, ``flask jobs run-due``,
``flask uploads purge``, ``flask send-outbox``,
``flask send-digests``, ``flask send-reminders`` (the last ones run by hand what the
scheduler runs by itself)."""

from __future__ import annotations

import sys
from typing import Any

import click
from flask import Flask
from flask.cli import AppGroup, with_appcontext

from comarketing import outbox
from comarketing.accounts import registration
from comarketing.dates_format import format_datetime
from comarketing.errors import DomainError
from comarketing.metrics import intake_server
from comarketing.policy import Role

users_cli = AppGroup("users", help="Manage user accounts.")


@users_cli.command("create")
@click.argument("email")
@click.option(
    "--org",
    "organization",
    required=True,
    help="Organization name or slug; created (with this user) if it does not exist.",
)
@click.option(
    "--role",
    type=click.Choice([r.value for r in Role]),
    default=Role.ADMIN.value,
    show_default=True,
)
@click.option("--name", default=None, help="Display name (default: the part before @).")
def create_user(email: str, organization: str, role: str, name: str | None) -> None:
    """Create a user. The password is read from a prompt, or from stdin when piped."""
    if sys.stdin.isatty():
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    try:
        user = registration.create_user_as_operator(
            email=email,
            organization_name=organization,
            role=role,
            name=name or email.split("@")[0],
            password=password,
        )
    except DomainError as exc:
        raise click.ClickException(f"{exc.field + ': ' if exc.field else ''}{exc.message}") from exc
    click.echo(f"Created {user.email} ({user.role}) in {user.organization.name}.")


@users_cli.command("list")
def list_users() -> None:
    """List every user with organization, role and status."""
    for user in registration.all_users_for_operator():
        status = "active" if user.active else "deactivated"
        click.echo(f"{user.email}\t{user.organization.name}\t{user.role}\t{status}")


tokens_cli = AppGroup("tokens", help="Manage users' API tokens.")


@tokens_cli.command("create")
@click.argument("email")
@click.option("--name", required=True, help="What will use the token.")
@click.option("--scope", type=click.Choice(["read", "write"]), required=True)
@click.option("--days", type=click.IntRange(1, 366), default=90, show_default=True)
def create_token(email: str, name: str, scope: str, days: int) -> None:
    """Create an API token for a user and print it (once: only its hash is kept)."""
    from comarketing.api import services as api_tokens

    try:
        token, plaintext = api_tokens.create_token_as_operator(
            email=email, name=name, scope=scope, days=days
        )
    except DomainError as exc:
        raise click.ClickException(f"{exc.field + ': ' if exc.field else ''}{exc.message}") from exc
    click.echo(
        f"Created token {token.id} ({token.scope}) for {email}, "
        f"expires {format_datetime(token.expires_at)}. It is not shown again:",
        err=True,
    )
    click.echo(plaintext)


@tokens_cli.command("revoke")
@click.argument("token_id", type=int)
def revoke_token(token_id: int) -> None:
    """Revoke an API token by its id; it stops working at once."""
    from comarketing.api import services as api_tokens

    try:
        token = api_tokens.revoke_token_as_operator(token_id)
    except DomainError as exc:
        raise click.ClickException(exc.message) from exc
    click.echo(f"Revoked token {token.id} ({token.name}).")


@click.command("send-outbox")
@with_appcontext
def send_outbox() -> None:
    """Send queued mail (run from cron; safe to run in several places at once)."""
    total = 0
    while sent := outbox.deliver_pending():
        total += sent
    click.echo(f"Sent {total} message(s).")


@click.command("send-digests")
@with_appcontext
def send_digests() -> None:
    """Mail each person one digest of the notifications they get by digest that arrived since
    their last one (run daily; running it twice sends nothing twice)."""
    from comarketing.notification_digests import send_digests as queue_digests

    queued = queue_digests()
    sent = 0
    while delivered := outbox.deliver_pending():
        sent += delivered
    click.echo(f"Queued {queued} digest(s); sent {sent} message(s).")


@click.command("send-reminders")
@with_appcontext
def send_reminders() -> None:
    """Review reminders, overdue notices, offer expiry and expense claims confirmed by their
    window passing (run from cron, e.g. hourly)."""
    from comarketing.budgets.claim_responses import run_claim_deadlines
    from comarketing.collateral.deadlines import run_deadlines as run_collateral_deadlines
    from comarketing.offers.deadlines import run_deadlines

    result = run_deadlines()
    collateral = run_collateral_deadlines()
    claims = run_claim_deadlines()
    while outbox.deliver_pending():
        pass
    click.echo(
        f"Reminded {result.reminded}, flagged overdue {result.overdue}, expired {result.expired}."
    )
    # A second line only when creative reviews were reminded or flagged.
    if collateral.reminded or collateral.overdue:
        click.echo(
            f"Collateral: reminded {collateral.reminded}, flagged overdue {collateral.overdue}."
        )
    if claims.auto_confirmed:
        click.echo(f"Expense claims confirmed by their window passing: {claims.auto_confirmed}.")


metrics_cli = AppGroup("metrics", help="Results imports.")


jobs_cli = AppGroup("jobs", help="Background jobs.")


def _run_due_jobs() -> int:
    from comarketing.jobs import runner

    return runner.drain()


@jobs_cli.command("run-due")
def run_due_jobs() -> None:
    """Run every due job in this process, now (a worker does this by itself). Also gives a job
    to results imports confirmed before imports were jobs (run it once after upgrading)."""
    from comarketing.metrics import jobs as import_jobs

    adopted = import_jobs.queue_orphans()
    click.echo(f"Queued {adopted} import(s) that had no job; ran {_run_due_jobs()} job(s).")


def _celery() -> Any:
    from flask import current_app

    celery = current_app.extensions.get("celery")
    if celery is None:
        raise click.ClickException(
            'JOBS_BACKEND is "inline": jobs run inside the web process; set it to "celery".'
        )
    from comarketing.extensions import db

    db.engine.dispose()  # the worker's processes open their own connections
    return celery


@click.command(
    "worker", context_settings={"ignore_unknown_options": True, "allow_extra_args": True}
)
@click.option("--concurrency", type=click.IntRange(1), default=None, help="Processes (cores).")
@click.option(
    "--beat", is_flag=True, help="Also run the scheduler in this process (a single machine)."
)
@click.argument("celery_args", nargs=-1, type=click.UNPROCESSED)
@with_appcontext
def worker(concurrency: int | None, beat: bool, celery_args: tuple[str, ...]) -> None:
    """Run a job worker (Celery); start one or more on any number of machines. Extra
    arguments go to `celery worker`."""
    argv = ["worker", "--loglevel=INFO"]
    if concurrency:
        argv.append(f"--concurrency={concurrency}")
    if beat:
        argv.append("--beat")
    _celery().worker_main([*argv, *celery_args])


@click.command(
    "scheduler", context_settings={"ignore_unknown_options": True, "allow_extra_args": True}
)
@click.argument("celery_args", nargs=-1, type=click.UNPROCESSED)
@with_appcontext
def scheduler(celery_args: tuple[str, ...]) -> None:
    """Run the scheduler (Celery beat): the sweeper and the periodic rounds. Exactly one per
    deployment."""
    _celery().start(["beat", "--loglevel=INFO", *celery_args])


uploads_cli = AppGroup("uploads", help="Stored results files.")


@uploads_cli.command("purge")
@click.option(
    "--older-than",
    "older_than",
    default="30d",
    show_default=True,
    help="Remove files last written longer ago than this (30d, 12h, 90m) that no import needs.",
)
def purge_uploads(older_than: str) -> None:
    """Remove stored results files no import needs anymore (run from cron, e.g. daily); the
    imports' history keeps their digests."""
    from comarketing.metrics import retention

    try:
        age = retention.parse_age(older_than)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--older-than") from exc
    result = retention.purge(age)
    click.echo(
        f"Removed {result.removed} file(s), {result.freed_bytes} bytes; "
        f"kept {result.kept_in_use} still needed by an import."
    )


@click.command("seed-demo")
@with_appcontext
def seed_demo() -> None:
    """Create the demo companies, users and partnership (safe to run twice)."""
    from comarketing.demo import seed

    for line in seed():
        click.echo(line)


def install(app: Flask) -> None:
    app.cli.add_command(users_cli)
    app.cli.add_command(tokens_cli)
    app.cli.add_command(metrics_cli)
    app.cli.add_command(jobs_cli)
    app.cli.add_command(worker)
    app.cli.add_command(scheduler)
    app.cli.add_command(uploads_cli)
    app.cli.add_command(send_outbox)
    app.cli.add_command(seed_demo)
    app.cli.add_command(send_reminders)
    app.cli.add_command(send_digests)
    app.cli.add_command(intake_server.intake_cli)
