"""Protecting the server: which URLs may be registered, and which addresses may be called at
delivery time (production refuses every address that is not public)."""

from __future__ import annotations

import pytest
from flask import Flask

from comarketing.errors import ValidationFailed
from comarketing.jobs import runner
from comarketing.webhooks import transport
from tests import factories
from tests.campaign_helpers import solo_campaign
from tests.webhooks.conftest import attempts, register
from tests.webhooks.receiver import Receiver


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",  # cloud metadata
        "100.64.0.1",  # shared address space
        "0.0.0.0",
        "192.0.2.1",  # documentation
        "224.0.0.1",
        "::1",
        "fe80::1",
        "fd00:ec2::254",  # AWS metadata over IPv6
        "::ffff:127.0.0.1",
        "::ffff:169.254.169.254",
    ],
)
def test_addresses_that_are_not_public_are_refused(address: str) -> None:
    assert not transport.address_allowed(address, allow_loopback=False)


@pytest.mark.parametrize("address", ["93.184.215.14", "2606:4700:4700::1111", "8.8.8.8"])
def test_public_addresses_are_allowed(address: str) -> None:
    assert transport.address_allowed(address, allow_loopback=False)


def test_loopback_is_allowed_only_by_the_development_switch() -> None:
    assert transport.address_allowed("127.0.0.1", allow_loopback=True)
    assert transport.address_allowed("::1", allow_loopback=True)
    assert not transport.address_allowed("10.0.0.1", allow_loopback=True)


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com/hook",
        "ftp://example.com/hook",
        "https://user:pass@example.com/hook",
        "https:///nohost",
        "https://example.com:99999/",
        "javascript:alert(1)",
        "http://127.0.0.1:8000/hook",  # loopback http only with the switch
    ],
)
def test_urls_that_cannot_be_registered(ctx: Flask, world: factories.World, url: str) -> None:
    ctx.config["WEBHOOKS_ALLOW_HTTP_LOOPBACK"] = False
    with pytest.raises(ValidationFailed) as refused:
        register(world.a.email("admin"), url)
    assert refused.value.field == "url"


def test_an_address_is_checked_when_delivering_not_only_when_registering(
    ctx: Flask, world: factories.World, receiver: Receiver
) -> None:
    """Registered while loopback was allowed (or a public name that later resolves to a
    private address): production refuses the call itself, and sends nothing."""
    endpoint_id, _ = register(world.a.email("admin"), receiver.url)
    https_loopback, _ = register(world.a.email("admin"), f"https://127.0.0.1:{receiver.port}/")
    https_localhost, _ = register(world.a.email("admin"), f"https://localhost:{receiver.port}/")
    ctx.config["WEBHOOKS_ALLOW_HTTP_LOOPBACK"] = False
    solo_campaign(world.a.email("partner_manager"))
    runner.drain()
    assert receiver.received == []
    for endpoint in (endpoint_id, https_loopback, https_localhost):
        [attempt] = attempts(endpoint)
        assert attempt.outcome == "failed" and attempt.error.startswith("Refused")
