"""Templates compiled when a production app starts (issue 21): a worker's first request of a
page does not compile its templates in front of the requests queued behind it."""

from __future__ import annotations


def _compiled(app) -> set[str]:
    keys = app.jinja_env.cache.keys()  # (a reference to the loader, the template's name)
    return {name for _, name in keys}


def test_a_production_app_compiles_every_template_when_it_starts(make_app):
    app = make_app(
        ENV_NAME="production",
        TESTING=False,
        SECRET_KEY="x" * 48,
        REDIS_URL="redis://127.0.0.1:6379/0",
    )
    templates = set(app.jinja_env.list_templates(extensions=["html"]))
    assert "campaigns/detail.html" in templates
    assert templates <= _compiled(app)


def test_elsewhere_templates_compile_when_first_used(make_app):
    app = make_app(own=True)  # a new app (the shared one rendered pages in earlier tests)
    # Tests and development: an edited template is read again.
    assert "campaigns/detail.html" not in _compiled(app)
