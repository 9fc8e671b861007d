"""The cyclic collector is paused while a dashboard is worked out (``reports.collector``) and
comes back on afterwards, whatever happens and however many threads are inside."""

from __future__ import annotations

import gc
import threading
from datetime import date

import pytest

from comarketing.reports import collector, services
from tests import campaign_helpers as ch
from tests.offer_helpers import actor
from tests.reports.test_dashboard_figures import PM, seeded  # noqa: F401 - fixture


@pytest.fixture(autouse=True)
def _collector_on():
    gc.enable()
    yield
    gc.enable()


@collector.paused
def _state() -> bool:
    return gc.isenabled()


@collector.paused
def _fails() -> None:
    raise RuntimeError("inside")


def test_paused_inside_and_on_again_after():
    assert _state() is False
    assert gc.isenabled()


def test_on_again_after_an_exception():
    with pytest.raises(RuntimeError):
        _fails()
    assert gc.isenabled()


def test_left_off_when_it_was_off_before():
    gc.disable()
    assert _state() is False
    assert not gc.isenabled()


def test_paused_while_any_thread_is_inside():
    entered, release = threading.Event(), threading.Event()

    @collector.paused
    def waits() -> None:
        entered.set()
        release.wait(10)

    thread = threading.Thread(target=waits)
    thread.start()
    try:
        assert entered.wait(10)
        assert _state() is False  # a second one comes and goes
        assert not gc.isenabled()  # the first is still inside
    finally:
        release.set()
        thread.join(10)
    assert gc.isenabled()


def test_no_collection_while_a_dashboard_is_worked_out(app, seeded):  # noqa: F811
    started: list[int] = []

    def watch(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            started.append(info["generation"])

    period = services.Period(date(2027, 3, 1), ch.END)
    with app.app_context():
        who = actor(seeded.a.email(PM))
        gc.collect()
        gc.callbacks.append(watch)
        try:
            board = services.dashboard(who, period)
        finally:
            gc.callbacks.remove(watch)
    assert board.comparisons  # a real dashboard, with figures
    # At most the one the allocations since the pause owe, once it is back on (on its way
    # out); without the pause this small dashboard alone ran four.
    assert started in ([], [0])
    assert gc.isenabled()
