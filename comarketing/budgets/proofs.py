"""Proof behind claims and payments: invoices and receipts, PDF or image recognised by their
bytes, stored by SHA-256 (``comarketing.storage``) in their own folder, size-limited
(``CLAIM_PROOF_MAX_BYTES``). Served only to the campaign's parties, always as an attachment."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import sqlalchemy as sa
from flask import current_app

from comarketing import storage
from comarketing.budgets.models import Claim, ClaimProof, ClaimVersion, Payment
from comarketing.campaigns.access import get_visible_campaign
from comarketing.context import Actor
from comarketing.errors import NotFound, ValidationFailed
from comarketing.extensions import db

ACCEPTED = (storage.PDF, storage.PNG, storage.JPEG, storage.WEBP, storage.GIF)
ACCEPTED_DESCRIPTION = "a PDF or an image (PNG, JPEG, WebP, GIF)"
MAX_FILES = 10


@dataclass(frozen=True)
class ProofUpload:
    """A file as the web layer or the API received it."""

    stream: IO[bytes]
    filename: str


@dataclass(frozen=True)
class StoredProof:
    sha256: str
    filename: str
    content_type: str
    size: int


def shelf() -> storage.Shelf:
    configured = current_app.config.get("CLAIM_PROOF_DIR")
    folder = Path(configured) if configured else Path(current_app.instance_path) / "claim-proofs"
    return storage.Shelf(
        folder=folder,
        max_bytes=int(current_app.config["CLAIM_PROOF_MAX_BYTES"]),
        accepted=ACCEPTED,
        accepted_description=ACCEPTED_DESCRIPTION,
        suffix=".proof",
    )


def store_proofs(uploads: Sequence[ProofUpload], *, field: str = "proof") -> list[StoredProof]:
    """Keep each file by its SHA-256 after checking what it is; refuse the lot if one fails."""
    if len(uploads) > MAX_FILES:
        raise ValidationFailed(f"Attach at most {MAX_FILES} files.", field=field)
    place = shelf()
    stored = []
    for upload in uploads:
        blob = storage.store(upload.stream, place, field=field)
        stored.append(
            StoredProof(
                blob.file_hash,
                storage.clean_filename(upload.filename),
                blob.file_type.media_type,
                blob.size,
            )
        )
    return stored


def _referenced(file_hashes: list[str]) -> set[str]:
    """The digests among these that a stored claim version or payment refers to."""
    claims = sa.select(ClaimProof.sha256).where(ClaimProof.sha256.in_(file_hashes))
    payments = sa.select(Payment.proof_sha256).where(Payment.proof_sha256.in_(file_hashes))
    return {h for h in db.session.scalars(sa.union(claims, payments)) if h}


# A claim or payment refused after its proof was stored leaves no file behind.
removed_if_refused = storage.removed_if_refused(_referenced)


@dataclass(frozen=True)
class ServedProof:
    path: Path
    media_type: str
    download_name: str


def _serve(sha256: str, filename: str, content_type: str) -> ServedProof:
    file_type = storage.ALL_TYPES.get(content_type)
    path = shelf().path(sha256)
    if file_type is None or not path.exists():
        raise NotFound()
    return ServedProof(path, file_type.media_type, storage.download_name(filename, file_type))


def claim_proof(actor: Actor, campaign_id: int, proof_id: int) -> ServedProof:
    """A proof file of a claim of a campaign the actor's company is a party to (else 404)."""
    campaign = get_visible_campaign(actor, campaign_id)
    proof = db.session.scalar(
        sa.select(ClaimProof)
        .join(ClaimVersion, ClaimVersion.id == ClaimProof.claim_version_id)
        .join(Claim, Claim.id == ClaimVersion.claim_id)
        .where(ClaimProof.id == proof_id, Claim.campaign_id == campaign.id)
    )
    if proof is None:
        raise NotFound()
    return _serve(proof.sha256, proof.filename, proof.content_type)


def payment_proof(actor: Actor, campaign_id: int, payment_id: int) -> ServedProof:
    campaign = get_visible_campaign(actor, campaign_id)
    payment = db.session.scalar(
        sa.select(Payment).where(Payment.id == payment_id, Payment.campaign_id == campaign.id)
    )
    if payment is None or not payment.proof_sha256:
        raise NotFound()
    return _serve(
        payment.proof_sha256, payment.proof_filename or "proof", payment.proof_content_type or ""
    )
