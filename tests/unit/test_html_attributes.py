"""The forms' attributes are rendered by ``html_attributes.html_params``: the same text as
WTForms' own function for any attributes, and the one the app's widgets use."""

from __future__ import annotations

from typing import Any

import wtforms.widgets
from flask import Flask
from hypothesis import given
from hypothesis import strategies as st
from markupsafe import Markup
from wtforms import Form, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.widgets import core

from comarketing import html_attributes

KEYS = st.one_of(
    st.sampled_from(["class_", "for_", "id", "name", "data_row_id", "aria_described_by", "a<b"]),
    st.text(min_size=1, max_size=12),
)
VALUES = st.one_of(
    st.booleans(),
    st.none(),
    st.integers(),
    st.text(max_size=20),
    st.text(max_size=20).map(Markup),  # already safe: may hold a raw double quote
)


@given(st.dictionaries(KEYS, VALUES, max_size=6))
def test_the_same_text_as_wtforms(attributes: dict[str, Any]) -> None:
    ours = html_attributes.html_params(**attributes)
    theirs = html_attributes.WTFORMS_HTML_PARAMS(**attributes)
    assert isinstance(ours, Markup)
    assert str(ours) == str(theirs)


def test_examples() -> None:
    assert html_attributes.html_params(
        name="q", class_="form-control", required=True, disabled=False, data_x='a"b'
    ) == Markup('class="form-control" data-x="a&#34;b" name="q" required')
    assert html_attributes.html_params(value=Markup('say "hi"')) == 'value="say &quot;hi&quot;"'


class Sample(Form):
    title = StringField(render_kw={"placeholder": 'A "quoted" <title>'})
    notes = TextAreaField()
    kind = SelectField(choices=[SelectChoice("a", "A & B"), SelectChoice("b", '"B"')])


def test_the_apps_widgets_use_it(app: Flask) -> None:
    assert core.html_params is wtforms.widgets.html_params is html_attributes.html_params
    classes = html_attributes.widget_classes()
    assert {core.Input, core.Button} <= set(classes)
    for widget in (*classes, core.TextInput, core.SubmitInput, core.HiddenInput):
        assert widget.html_params is html_attributes.html_params
    form = Sample(data={"title": "x", "kind": "b"})
    rendered = [str(field()) + str(field.label) for field in form]
    original = staticmethod(html_attributes.WTFORMS_HTML_PARAMS)
    core.html_params = wtforms.widgets.html_params = html_attributes.WTFORMS_HTML_PARAMS
    for widget in classes:
        widget.html_params = original
    try:
        assert [str(field()) + str(field.label) for field in form] == rendered
    finally:
        html_attributes.install()
