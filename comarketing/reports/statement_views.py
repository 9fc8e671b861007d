"""The partner statement page and its CSV and XLSX exports (registered on the reports
blueprint: the exports' writers live in this package; the figures come from
``budgets.statement``). A company that is not a partner answers 404 like a missing one."""

from __future__ import annotations

from typing import Any

from flask import Response, render_template
from flask.typing import ResponseReturnValue
from flask_login import login_required

from comarketing.budgets import statement as partner_statements
from comarketing.budgets.statement_lines import owed_phrase
from comarketing.errors import DomainError
from comarketing.reports import exports, workbooks
from comarketing.reports.statement_tables import statement_table
from comarketing.reports.views import bp
from comarketing.web import abort_for, current_actor


def _statement(organization_id: int) -> Any:
    try:
        return partner_statements.partner_statement(current_actor(), organization_id)
    except DomainError as exc:
        abort_for(exc)


@bp.route("/partners/<int:organization_id>/statement")
@login_required
def partner_statement(organization_id: int) -> ResponseReturnValue:
    statement = _statement(organization_id)
    return render_template("reports/statement.html", statement=statement, owed_phrase=owed_phrase)


@bp.route("/partners/<int:organization_id>/statement.<any(csv, xlsx):fmt>")
@login_required
def partner_statement_export(organization_id: int, fmt: str) -> ResponseReturnValue:
    statement = _statement(organization_id)
    table = statement_table(statement)
    name = exports.file_name("comarketing", "statement", statement.partner_name, extension=fmt)
    body: Any = exports.to_csv(table) if fmt == "csv" else workbooks.to_xlsx(table)
    mime = exports.CSV_MIME if fmt == "csv" else exports.XLSX_MIME
    return Response(
        body, mimetype=mime, headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )
