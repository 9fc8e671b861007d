"""A request refused after its file was stored leaves no file behind (SECURITY.md 56): a claim
refused by the budget check or by its second proof, a payment, and the mechanism itself."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import pytest

from comarketing import storage
from comarketing.budgets import proofs
from comarketing.budgets.posting import OverBudget
from comarketing.errors import ValidationFailed
from tests.campaign_helpers import joint_campaign
from tests.collateral import samples
from tests.unit.test_claims import claim


def proof_path(content: bytes) -> Path:
    return proofs.shelf().path(hashlib.sha256(content).hexdigest())


def test_a_claim_refused_by_the_budget_check_keeps_no_proof(app, ctx, world) -> None:
    campaign = joint_campaign(world)
    invoice = samples.pdf("Invoice over budget 1")
    with pytest.raises(OverBudget):
        claim(world, campaign, amount=10**12, files=[(invoice, "invoice.pdf")])
    assert not proof_path(invoice).exists()


def test_a_claim_refused_by_its_second_proof_keeps_neither(app, ctx, world) -> None:
    campaign = joint_campaign(world)
    invoice = samples.pdf("Invoice with a bad companion 2")
    with pytest.raises(ValidationFailed):
        claim(
            world,
            campaign,
            files=[(invoice, "invoice.pdf"), (samples.windows_exe(), "receipt.pdf")],
        )
    assert not proof_path(invoice).exists()


def test_a_file_another_claim_already_refers_to_is_kept(app, ctx, world) -> None:
    campaign = joint_campaign(world)
    invoice = samples.pdf("Invoice shared 3")
    claim(world, campaign, files=[(invoice, "invoice.pdf")])
    with pytest.raises(OverBudget):
        claim(world, campaign, amount=10**12, files=[(invoice, "invoice-again.pdf")])
    assert proof_path(invoice).exists()


def test_the_mechanism_removes_only_unreferenced_files(app, ctx, tmp_path: Path) -> None:
    shelf = storage.Shelf(tmp_path, 10**6, (storage.PNG,), "a PNG")
    kept_one = samples.png("red")
    dropped = samples.png("blue")
    kept_hash = hashlib.sha256(kept_one).hexdigest()

    @storage.removed_if_refused(lambda hashes: {h for h in hashes if h == kept_hash})
    def store_then_refuse() -> None:
        storage.store(io.BytesIO(kept_one), shelf)
        storage.store(io.BytesIO(dropped), shelf)
        raise ValidationFailed("refused after storing", field="file")

    with pytest.raises(ValidationFailed):
        store_then_refuse()
    assert [p.name for p in tmp_path.iterdir()] == [f"{kept_hash}.asset"]

    @storage.removed_if_refused(lambda hashes: set())
    def store_and_succeed() -> storage.StoredBlob:
        return storage.store(io.BytesIO(dropped), shelf)

    assert store_and_succeed().path.exists()  # success keeps everything
