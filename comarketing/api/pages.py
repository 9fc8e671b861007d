"""HTML pages of the API: the personal token settings and the offline API reference."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_login import login_required

from comarketing import submissions
from comarketing.accounts.forms import ConfirmForm
from comarketing.api import services
from comarketing.api.forms import TokenForm
from comarketing.db import utcnow
from comarketing.errors import DomainError
from comarketing.links import absolute_url
from comarketing.web import abort_for, attach_error, current_actor

bp = Blueprint("api_pages", __name__)


def _render_tokens(form: TokenForm, new_token: str | None = None) -> str:
    return render_template(
        "api/tokens.html",
        tokens=services.list_tokens(current_actor()),
        form=form,
        action_form=ConfirmForm(),
        new_token=new_token,
        now=utcnow(),
    )


@bp.route("/settings/tokens", methods=["GET", "POST"])
@login_required
def tokens() -> ResponseReturnValue:
    form = TokenForm()
    user_id = current_actor().user_id
    if (first := submissions.earlier(form, user_id)) is not None:
        return first  # the token itself is shown once only: the list shows it was created
    if form.validate_on_submit():
        try:
            submissions.record(form, user_id, url_for("api_pages.tokens"))
            _, plaintext = services.create_token(
                current_actor(),
                name=form.name.data or "",
                scope=form.scope.data or "",
                days=int(form.expires.data or 0),
            )
        except submissions.AlreadySubmitted as exc:
            return submissions.replay(exc.result_url)
        except DomainError as exc:
            attach_error(form, exc)
        else:
            # Shown on this response only: it is not stored and no page shows it again.
            return _render_tokens(TokenForm(formdata=None), new_token=plaintext)
    return _render_tokens(form)


@bp.route("/settings/tokens/<int:token_id>/revoke", methods=["POST"])
@login_required
def revoke_token(token_id: int) -> ResponseReturnValue:
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        token = services.revoke_token(current_actor(), token_id)
    except DomainError as exc:
        abort_for(exc)
    flash(f"The token “{token.name}” was revoked; it stops working at once.", "success")
    return redirect(url_for("api_pages.tokens"))


@bp.route("/api/v1/docs")
def docs() -> ResponseReturnValue:
    """The OpenAPI document rendered on the server: no Swagger UI, no CDN, no script."""
    spec: dict[str, Any] = current_app.spec  # type: ignore[attr-defined]
    components = spec.get("components", {})
    return render_template(
        "api/docs.html",
        info=spec.get("info", {}),
        openapi_version=spec.get("openapi", ""),
        operations=_operations(spec),
        schemas=[_schema(name, body) for name, body in components.get("schemas", {}).items()],
        security_schemes=components.get("securitySchemes", {}),
        error_example=ERROR_EXAMPLE,
        me_url=absolute_url("api.me"),
    )


# ---------------------------------------------------------------------------------------------
# Turning the OpenAPI document into what the docs template shows

METHOD_ORDER = ["get", "post", "put", "patch", "delete"]
ERROR_EXAMPLE = """{
  "error": {
    "status": 422,
    "message": "The input is not valid.",
    "field": "per_page",
    "errors": [
      {"location": "query", "field": "per_page", "message": "Must be between 1 and 100."}
    ]
  }
}"""


@dataclass(frozen=True)
class TypeInfo:
    label: str
    ref: str | None = None  # the component schema to link to


def type_info(schema: dict[str, Any]) -> TypeInfo:
    """A short human description of a JSON schema: "integer, 1 to 100", "array of Placement"."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        return TypeInfo(name, name)
    if "anyOf" in schema or "oneOf" in schema:
        parts = [type_info(s) for s in schema.get("anyOf", schema.get("oneOf", []))]
        ref = next((p.ref for p in parts if p.ref), None)
        return TypeInfo(" or ".join(p.label for p in parts), ref)
    kind = schema.get("type", "any")
    if isinstance(kind, list):
        kind = " or ".join(kind)
    if kind == "array":
        items = type_info(schema.get("items", {}))
        return TypeInfo(f"array of {items.label}", items.ref)
    details = []
    if "format" in schema:
        details.append(schema["format"])
    if "enum" in schema:
        details.append("one of " + ", ".join(str(v) for v in schema["enum"]))
    if "minimum" in schema or "maximum" in schema:
        details.append(f"{schema.get('minimum', '…')} to {schema.get('maximum', '…')}")
    if "default" in schema:
        details.append(f"default {schema['default']}")
    return TypeInfo(f"{kind} ({'; '.join(details)})" if details else str(kind))


def _content_type(content: dict[str, Any]) -> tuple[str, TypeInfo] | None:
    for media_type, body in content.items():
        return media_type, type_info(body.get("schema", {}))
    return None


def _operations(spec: dict[str, Any]) -> list[dict[str, Any]]:
    operations = []
    for path, item in spec.get("paths", {}).items():
        for method in METHOD_ORDER:
            if method not in item:
                continue
            operation = item[method]
            operations.append(
                {
                    "id": operation.get("operationId") or f"{method}-{path}",
                    "method": method.upper(),
                    "path": path,
                    "summary": operation.get("summary", ""),
                    "description": operation.get("description", ""),
                    "security": [name for req in operation.get("security", []) for name in req],
                    "parameters": [
                        {
                            "name": p["name"],
                            "in": p["in"],
                            "required": p.get("required", False),
                            "type": type_info(p.get("schema", {})),
                            "description": p.get("description", ""),
                        }
                        for p in operation.get("parameters", [])
                    ],
                    "body": _content_type(operation.get("requestBody", {}).get("content", {})),
                    "responses": [
                        {
                            "status": status,
                            "description": response.get("description", ""),
                            "content": _content_type(response.get("content", {})),
                        }
                        for status, response in sorted(operation.get("responses", {}).items())
                    ],
                }
            )
    return operations


def _schema(name: str, body: dict[str, Any]) -> dict[str, Any]:
    required = set(body.get("required", []))
    return {
        "name": name,
        "description": body.get("description", ""),
        "properties": [
            {
                "name": prop,
                "type": type_info(detail),
                "required": prop in required,
                "description": detail.get("description", ""),
                "example": detail.get("example"),
            }
            for prop, detail in body.get("properties", {}).items()
        ],
    }
