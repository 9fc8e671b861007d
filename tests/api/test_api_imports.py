"""Results files over the API (issue 15): upload for one campaign -> the preview as JSON,
change its settings, confirm (202, queued as the page queues it) and follow the run. The same
checks as the page: nothing runs while the preview lists errors or spend over the
commitments; other companies get 404; read tokens and read-only roles cannot write."""

from __future__ import annotations

import io
from typing import Any

import sqlalchemy as sa

from comarketing.budgets.models import LedgerEntry
from comarketing.extensions import db
from comarketing.metrics.models import DailyMetric, MetricImport
from tests.api.conftest import error_of
from tests.campaign_helpers import joint_campaign, solo_campaign

PM = "partner_manager"
HEADER = "date,placement,impressions,reach,clicks,leads,conversions,revenue,cost\n"
GOOD = HEADER + (
    "2027-03-01,Alpha newsletter,1000,800,20,2,1,50.00,10.00\n"
    "2027-03-02,Alpha newsletter,1200,900,25,3,1,60.00,12.50\n"
)


def _scene(app, world):
    with app.app_context():
        joint = joint_campaign(world)
        db.session.remove()
    return joint


def _form(content: str | bytes, campaign_id: int, **options: Any) -> dict[str, Any]:
    data = content.encode() if isinstance(content, str) else content
    return {"file": (io.BytesIO(data), "results.csv"), "campaign_id": str(campaign_id), **options}


def _post(client, content: str | bytes, campaign_id: int, **options: Any):
    headers = options.pop("headers", {})
    return client.post(
        "/api/v1/imports",
        data=_form(content, campaign_id, **options),
        content_type="multipart/form-data",
        headers=headers,
    )


def _db(app) -> tuple[int, int, int, list[str]]:
    """Rows stored, ledger entries, imports and their statuses: what a refusal must not move."""
    with app.app_context():
        metrics = db.session.scalar(sa.select(sa.func.count()).select_from(DailyMetric))
        entries = db.session.scalar(sa.select(sa.func.count()).select_from(LedgerEntry))
        statuses = list(
            db.session.scalars(sa.select(MetricImport.status).order_by(MetricImport.id))
        )
        db.session.remove()
    return metrics, entries, len(statuses), statuses


def test_upload_preview_confirm_and_follow_the_run(app, world, api_as):
    joint = _scene(app, world)
    writer = api_as(world.a.email(PM), "write")
    created = _post(writer, GOOD, joint.id)
    assert created.status_code == 201, created.get_json()
    preview = created.get_json()
    assert preview["status"] == "preview"
    assert preview["campaign_id"] == joint.id
    assert preview["encoding"] == {
        "name": "utf-8",
        "label": "UTF-8",
        "fallback": False,
        "sample": None,
    }
    assert (preview["delimiter"], preview["header_row"]) == (",", 1)
    assert preview["date_order"] == {"value": "iso", "choice_needed": False}
    assert [c["field"] for c in preview["mapping"]] == [
        "day",
        "placement",
        "impressions",
        "reach",
        "clicks",
        "leads",
        "conversions",
        "revenue",
        "cost",
    ]
    assert preview["matched_placements"] == [
        {
            "id": joint.a_placement,
            "name": "Alpha newsletter",
            "campaign_id": joint.id,
            "rows": 2,
        }
    ]
    assert (preview["rows_checked"], preview["error_count"], preview["errors"]) == (2, 0, [])
    assert preview["rows"][1] == {
        "row": 3,
        "placement_id": joint.a_placement,
        "day": "2027-03-02",
        "impressions": 1200,
        "reach": 900,
        "clicks": 25,
        "leads": 3,
        "conversions": "1.00",
        "revenue": {"amount": "60.00", "currency": "EUR", "minor": 6000},
        "cost": {"amount": "12.50", "currency": "EUR", "minor": 1250},
    }
    [ledger] = preview["post_costs"]["ledger"]
    assert (ledger["new_days"], ledger["new"]["minor"]) == (2, 2250)
    [budget] = preview["post_costs"]["budget"]
    assert budget["committed"]["minor"] == 100_000
    assert (budget["spent_if_not_posted"]["minor"], budget["spent_if_posted"]["minor"]) == (0, 2250)
    assert (preview["ready"], preview["blockers"]) == (True, [])
    assert _db(app) == (0, 2, 1, ["preview"])  # the two commitments only

    import_id = preview["id"]
    confirmed = writer.post(f"/api/v1/imports/{import_id}/confirm", json={"post_costs": True})
    assert confirmed.status_code == 202, confirmed.get_json()
    status = writer.get(f"/api/v1/imports/{import_id}").get_json()
    assert status["status"] == "succeeded"
    assert (status["rows_read"], status["rows_written"], status["error_count"]) == (2, 2, 0)
    assert (status["progress"], status["post_costs"]) == ("1.0000", True)
    metrics, entries, _, _ = _db(app)
    assert (metrics, entries) == (2, 4)  # two days, and their two expenses
    # Every party reads the import's status; a read token is enough.
    reader = api_as(world.a.email("analyst"))
    assert reader.get(f"/api/v1/imports/{import_id}").status_code == 200


def test_a_bad_row_is_listed_and_confirm_refuses_it(app, world, api_as):
    joint = _scene(app, world)
    writer = api_as(world.a.email(PM), "write")
    content = GOOD + "2027-03-03,Alpha newsletter,100,150,5,0,0,0,1.00\n"
    preview = _post(writer, content, joint.id).get_json()
    assert preview["errors"] == [
        {"row": 4, "column": "reach", "value": "150", "reason": "reach cannot be above impressions"}
    ]
    assert preview["ready"] is False
    assert preview["blockers"] == [
        {"field": "file", "message": "1 row has errors: fix the file or the mapping."}
    ]
    before = _db(app)
    refused = writer.post(f"/api/v1/imports/{preview['id']}/confirm", json={})
    assert refused.status_code == 422
    error = error_of(refused)
    assert error["field"] == "file"
    assert (
        error["message"] == "Nothing was imported: 1 row has errors: fix the file or the mapping."
    )
    assert _db(app) == before == (0, 2, 1, ["preview"])


def test_costs_over_the_commitments_are_shown_before_and_refused_only_when_posted(
    app, world, api_as
):
    joint = _scene(app, world)  # EUR 1,000.00 committed in all
    writer = api_as(world.a.email(PM), "write")
    content = HEADER + '2027-03-01,Alpha newsletter,100,50,5,0,0,0,"1,000.01"\n'
    preview = _post(writer, content, joint.id, post_costs="true").get_json()
    [budget] = preview["post_costs"]["budget"]
    assert (budget["over_if_posted"], budget["over_if_not_posted"]) == (True, False)
    assert budget["spent_if_posted"]["amount"] == "1000.01"
    assert preview["post_costs"]["ticked"] is True
    assert preview["ready"] is False
    [blocker] = preview["blockers"]
    assert blocker["field"] == "post_costs"
    assert "above the €1,000.00 committed" in blocker["message"]
    assert "import without posting costs" in blocker["message"]
    before = _db(app)
    url = f"/api/v1/imports/{preview['id']}/confirm"
    refused = writer.post(url, json={})  # posts costs: remembered from the upload
    assert refused.status_code == 422 and error_of(refused)["field"] == "post_costs"
    assert _db(app) == before
    # Without posting costs it runs; the ledger stays as it was.
    unticked = writer.patch(f"/api/v1/imports/{preview['id']}", json={"post_costs": False})
    assert unticked.get_json()["ready"] is True
    assert writer.post(url, json={}).status_code == 202
    assert _db(app) == (1, 2, 1, ["succeeded"])


def test_patch_changes_the_settings_and_answers_the_new_preview(app, world, api_as):
    joint = _scene(app, world)
    writer = api_as(world.a.email(PM), "write")
    content = "Tag;Wo;Kosten\n01.03.2027;Alpha newsletter;12,50\n"
    preview = _post(writer, content, joint.id).get_json()
    url = f"/api/v1/imports/{preview['id']}"
    before = _db(app)
    for body, field in [
        ({"mapping": ["day", "placement"]}, "mapping"),
        ({"mapping": ["day", "day", "cost"]}, "mapping"),
        ({"mapping": ["day", "nonsense", "cost"]}, "mapping"),
        ({"date_order": "ydm"}, "date_order"),
        ({"placement_id": 2**31}, "placement_id"),
        ({"post_costs": "yes"}, "post_costs"),
        ({"unknown": 1}, "unknown"),
    ]:
        refused = writer.patch(url, json=body)
        assert refused.status_code == 422, (body, refused.get_json())
        assert error_of(refused)["field"] == field, body
    with app.app_context():
        settings_before = db.session.get(MetricImport, preview["id"]).settings
    changed = writer.patch(
        url, json={"mapping": ["day", "placement", "cost"], "date_order": "dmy", "decimal": ","}
    )
    assert changed.status_code == 200, changed.get_json()
    new = changed.get_json()
    assert new["ready"] is True and new["mapping_source"] == "changed"
    assert new["rows"][0]["cost"]["minor"] == 1250 and new["rows"][0]["day"] == "2027-03-01"
    assert _db(app) == before
    with app.app_context():
        assert settings_before["mapping"] != ["day", "placement", "cost"]


def test_options_given_with_the_file_are_checked_before_anything_is_recorded(app, world, api_as):
    joint = _scene(app, world)
    writer = api_as(world.a.email(PM), "write")
    before = _db(app)
    for options, field in [
        ({"mapping": '["day"]'}, "mapping"),
        ({"mapping": "not json"}, "mapping"),
        ({"date_order": "ydm"}, "date_order"),
        ({"decimal": ";"}, "decimal"),
    ]:
        refused = _post(writer, GOOD, joint.id, **options)
        assert refused.status_code == 422, (options, refused.get_json())
        assert error_of(refused)["field"] == field
    missing = writer.post(
        "/api/v1/imports",
        data={"file": (io.BytesIO(GOOD.encode()), "r.csv")},
        content_type="multipart/form-data",
    )
    assert missing.status_code == 422 and error_of(missing)["field"] == "campaign_id"
    assert _db(app) == before
    given = _post(writer, GOOD, joint.id, date_order="dmy", decimal=",")
    assert given.status_code == 201
    assert given.get_json()["date_order"]["value"] == "dmy"


def test_tenancy_and_write_permissions(app, world, api_as):
    joint = _scene(app, world)
    with app.app_context():
        c_solo = solo_campaign(world.c.email(PM))
        db.session.remove()
    writer = api_as(world.a.email(PM), "write")
    import_id = _post(writer, GOOD, joint.id).get_json()["id"]
    before = _db(app)
    # Another company's campaign (or one with no placement of A's) is not found.
    assert _post(writer, GOOD, c_solo).status_code == 404
    assert _post(writer, GOOD, 2**31 - 1).status_code == 404
    # Another company's import is not found, whatever is asked of it.
    outsider = api_as(world.c.email(PM), "write")
    for response in (
        outsider.get(f"/api/v1/imports/{import_id}"),
        outsider.patch(f"/api/v1/imports/{import_id}", json={"decimal": ","}),
        outsider.post(f"/api/v1/imports/{import_id}/confirm", json={}),
    ):
        assert response.status_code == 404
        assert error_of(response)["message"] == "Not found."
    # Read tokens and read-only roles cannot write.
    for client in (api_as(world.a.email(PM), "read"), api_as(world.a.email("analyst"), "write")):
        assert _post(client, GOOD, joint.id).status_code == 403
        assert client.patch(f"/api/v1/imports/{import_id}", json={}).status_code == 403
        assert client.post(f"/api/v1/imports/{import_id}/confirm", json={}).status_code == 403
    assert _db(app) == before


def test_a_file_over_the_limit_answers_413_naming_the_limit_and_the_field(
    make_app, world, make_token
):
    from tests.api.conftest import ApiClient

    app = make_app(METRICS_UPLOAD_MAX_BYTES=1024)
    joint = _scene(app, world)
    writer = ApiClient(app.test_client(), make_token(world.a.email(PM), "write"))
    before = _db(app)
    big = HEADER + "2027-03-01,Alpha newsletter,1,1,1,0,0,0,1.00\n" * 200
    # Over the limit and its multipart overhead: refused while reading.
    response = _post(writer, big * 10, joint.id)
    assert response.status_code == 413
    error = error_of(response)
    assert error["field"] == "file"
    assert (
        error["message"] == "The file is larger than allowed: a results file may be at most 1 KB."
    )
    # Over the limit, within the overhead: refused while storing.
    response = _post(writer, big[:2000], joint.id)
    assert response.status_code == 413 and error_of(response)["field"] == "file"
    assert "at most 1 KB" in error_of(response)["message"]
    assert _db(app) == before


def test_a_retried_upload_with_its_idempotency_key_makes_one_import(app, world, api_as):
    joint = _scene(app, world)
    writer = api_as(world.a.email(PM), "write")
    headers = {"Idempotency-Key": "upload-1"}
    first = _post(writer, GOOD, joint.id, headers=headers)
    second = _post(writer, GOOD, joint.id, headers=headers)
    assert first.status_code == second.status_code == 201
    assert second.headers.get("Idempotent-Replayed") == "true"
    assert first.get_json() == second.get_json()
    assert _db(app)[2] == 1
    other = _post(writer, GOOD + "\n", joint.id, headers=headers)
    assert other.status_code == 422 and error_of(other)["field"] == "Idempotency-Key"


def test_the_windows_1252_fallback_is_announced(app, world, api_as):
    joint = _scene(app, world)
    writer = api_as(world.a.email(PM), "write")
    content = "date;placement;impressions\n2027-03-01;Café;1\n".encode("cp1252")
    preview = _post(writer, content, joint.id).get_json()
    assert preview["encoding"] == {
        "name": "cp1252",
        "label": "Windows-1252",
        "fallback": True,
        "sample": {"line": 2, "text": "2027-03-01;Café;1"},
    }
    assert any("read as Windows-1252" in w for w in preview["warnings"])
    assert preview["delimiter"] == ";"


def test_a_retried_confirm_replays_its_answer_and_runs_once(app, world, api_as):
    joint = _scene(app, world)
    writer = api_as(world.a.email(PM), "write")
    import_id = _post(writer, GOOD, joint.id).get_json()["id"]
    url = f"/api/v1/imports/{import_id}/confirm"
    headers = {"Idempotency-Key": "confirm-1"}
    first = writer.post(url, json={}, headers=headers)
    second = writer.post(url, json={}, headers=headers)
    assert first.status_code == second.status_code == 202
    assert second.headers.get("Idempotent-Replayed") == "true"
    assert first.get_json() == second.get_json()
    # Without the key, a second confirm is a conflict: the upload is no longer in preview.
    again = writer.post(url, json={})
    assert again.status_code == 409
    assert _db(app) == (2, 2, 1, ["succeeded"])
    # The partner company sees the campaign, not A's imports.
    assert api_as(world.b.email(PM)).get(f"/api/v1/imports/{import_id}").status_code == 404


AMBIGUOUS = HEADER + (
    "01/03/2027,Alpha newsletter,1000,800,20,2,1,50.00,10.00\n"
    "02/03/2027,Alpha newsletter,1200,900,25,3,1,60.00,12.50\n"
)
META = (
    "Day,Campaign name,Results,Result indicator,Impressions,Amount spent (EUR)\n"
    "2027-03-01,Alpha newsletter,4,actions:offsite_conversion.fb_pixel_complete_registration,"
    "100,1.00\n"
    "2027-03-02,Alpha newsletter,3,actions:lead,100,1.00\n"
)


def test_the_date_order_question_is_answered_by_patch(app, world, api_as):
    joint = _scene(app, world)
    writer = api_as(world.a.email(PM), "write")
    preview = _post(writer, AMBIGUOUS, joint.id).get_json()
    assert preview["date_order"] == {"value": None, "choice_needed": True}
    [choice] = preview["choices"]
    assert choice["setting"] == "date_order"
    assert "day first or month first" in choice["question"]
    assert [o["value"] for o in choice["options"]] == ["dmy", "mdy"]
    assert preview["ready"] is False
    before = _db(app)
    refused = writer.post(f"/api/v1/imports/{preview['id']}/confirm", json={})
    assert refused.status_code == 422
    assert error_of(refused)["field"] == "date_order"
    assert _db(app) == before
    answered = writer.patch(f"/api/v1/imports/{preview['id']}", json={"date_order": "dmy"})
    assert answered.status_code == 200, answered.get_json()
    body = answered.get_json()
    assert body["date_order"] == {"value": "dmy", "choice_needed": False}
    assert (body["choices"], body["ready"]) == ([], True)
    assert [r["day"] for r in body["rows"]] == ["2027-03-01", "2027-03-02"]
    confirmed = writer.post(f"/api/v1/imports/{preview['id']}/confirm", json={})
    assert confirmed.status_code == 202


def test_an_unknown_result_indicator_is_answered_by_patch(app, world, api_as):
    joint = _scene(app, world)
    writer = api_as(world.a.email(PM), "write")
    preview = _post(writer, META, joint.id).get_json()
    indicator = "actions:offsite_conversion.fb_pixel_complete_registration"
    [choice] = preview["choices"]
    assert (choice["setting"], choice["samples"]) == ("result_indicators", [indicator])
    assert preview["ready"] is False
    before = _db(app)
    for answer, field in (({indicator: "maybe"}, "result_indicators"), ({"other": "leads"}, None)):
        bad = writer.patch(f"/api/v1/imports/{preview['id']}", json={"result_indicators": answer})
        assert bad.status_code == 422
        assert field is None or field in str(error_of(bad))
    assert _db(app) == before
    answered = writer.patch(
        f"/api/v1/imports/{preview['id']}", json={"result_indicators": {indicator: "conversions"}}
    )
    assert answered.status_code == 200, answered.get_json()
    body = answered.get_json()
    assert (body["choices"], body["ready"]) == ([], True)
    assert [(r["leads"], r["conversions"]) for r in body["rows"]] == [(None, "4.00"), (3, None)]
