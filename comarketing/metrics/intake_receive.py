"""Receiving a mailed results file: which recipients and senders are accepted, the CSV/XLSX
attachments of a message, and turning them into imports of the address's company.

Called by the mail server (:mod:`comarketing.metrics.intake_server`) with plain values: the
recipient, the envelope sender, the raw message. Every refusal happens before anything is
stored (an attachment is read into a private temporary folder first), and answers with the SMTP
reply it deserves. What is accepted becomes one import per attachment, made as the address's
manager, exactly as an upload of that person would be; then each import either runs with the
company's remembered mapping or waits at its preview for a person (:mod:`intake_replies`).
"""

from __future__ import annotations

import io
import logging
import tempfile
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default as default_policy
from email.utils import parseaddr
from pathlib import Path

from flask import current_app

from comarketing.context import Actor, Origin
from comarketing.errors import DomainError
from comarketing.extensions import db
from comarketing.metrics import imports, intake, intake_replies, reading, uploads
from comarketing.metrics.models import ImportStatus, MetricImport
from comarketing.unit_of_work import transactional

log = logging.getLogger("comarketing.intake")

MAX_ATTACHMENTS = 10
RESULT_SUFFIXES = (".csv", ".tsv", ".xlsx")
RESULT_TYPES = {
    "text/csv",
    "application/csv",
    "text/tab-separated-values",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
# One answer for "no such address" and "that sender may not send here": a refusal tells a
# stranger nothing about which tokens exist.
NOT_ACCEPTED = "550 5.7.1 Not accepted: no such address, or not from a sender it accepts"


@dataclass(frozen=True)
class Attachment:
    filename: str
    content: bytes


@dataclass
class Outcome:
    """The SMTP reply for one recipient, and the imports it made."""

    reply: str
    import_ids: list[int] = field(default_factory=list)

    @property
    def accepted(self) -> bool:
        return self.reply.startswith("250")


def clean_sender(address: str | None) -> str:
    return (address or "").strip().strip("<>").strip().lower()


def check_recipient(recipient: str, mail_from: str | None) -> tuple[str | None, bool]:
    """At RCPT: (the refusal to answer, or None to accept; whether the envelope sender alone is
    allowed). A known address whose envelope sender is not listed is accepted for now: ad
    platforms send from bounce addresses, so the From of the message decides at DATA."""
    box = intake.mailbox(recipient)
    if box is None or not box.senders:
        return NOT_ACCEPTED, False
    return None, box.allows(clean_sender(mail_from))


def header_sender(message: EmailMessage) -> str:
    """The address in the message's From (empty when there is none or it is unreadable)."""
    try:
        raw = str(message.get("From", "") or "")
    except (ValueError, TypeError, IndexError):
        return ""
    return clean_sender(parseaddr(raw)[1])


def parse(content: bytes) -> EmailMessage:
    message = message_from_bytes(content, policy=default_policy)
    assert isinstance(message, EmailMessage)
    return message


def results_files(message: EmailMessage) -> list[Attachment]:
    """The CSV/TSV/XLSX files of a message: by the file name's ending, or by type (a part of
    type text/csv without a name, even a message that is nothing else). Anything else (the
    text, a logo, a ZIP) is not a results file."""
    found = []
    for part in message.walk():
        if part.is_multipart():
            continue
        try:
            filename = part.get_filename() or ""
        except (ValueError, TypeError, IndexError):
            filename = ""
        named = filename.lower().endswith(RESULT_SUFFIXES)
        if not (named or part.get_content_type() in RESULT_TYPES):
            continue
        payload = part.get_payload(decode=True)
        content = payload if isinstance(payload, bytes) else b""
        xlsx = part.get_content_type().endswith("sheet")
        found.append(Attachment(filename or ("results.xlsx" if xlsx else "results.csv"), content))
    return found


def _unreadable(attachments: list[Attachment]) -> str | None:
    """The first reason an attachment cannot be read as results (None: all can), checked in a
    private temporary folder so nothing refused reaches the upload store."""
    limit = int(current_app.config["METRICS_UPLOAD_MAX_BYTES"])
    with tempfile.TemporaryDirectory(prefix="intake-") as folder:
        for number, attachment in enumerate(attachments, 1):
            name = uploads.display_name(attachment.filename)
            if len(attachment.content) > limit:
                return (
                    f"552 5.3.4 {name} is larger than a results file may be "
                    f"({uploads.size_label(limit)}); nothing was stored"
                )
            path = Path(folder) / f"{number}.upload"
            path.write_bytes(attachment.content)
            try:
                reading.detect_layout(path)
            except reading.UnreadableFile as exc:
                return f"550 5.6.0 {name}: {exc} Nothing was stored"
    return None


def receive(
    recipient: str, mail_from: str | None, content: bytes, *, peer: str | None = None
) -> Outcome:
    """Handle a message accepted for ``recipient``: check it again (the address may have
    changed since RCPT), store its results files as imports of the address's company, and
    start or park each. Returns the SMTP reply; a refusal has stored nothing."""
    box = intake.mailbox(recipient)
    message = parse(content)
    envelope = clean_sender(mail_from)
    sender = envelope if box and box.allows(envelope) else header_sender(message)
    if box is None or not box.allows(sender):
        return Outcome(NOT_ACCEPTED)
    attachments = results_files(message)
    if not attachments:
        return Outcome("550 5.6.0 No CSV or XLSX attachment: nothing was stored")
    if len(attachments) > MAX_ATTACHMENTS:
        return Outcome(f"550 5.6.0 More than {MAX_ATTACHMENTS} attachments: nothing was stored")
    refusal = _unreadable(attachments)
    if refusal is not None:
        return Outcome(refusal)
    actor = Actor(user=box.manager, origin=Origin(ip=peer))
    made: list[MetricImport] = []
    try:
        for attachment in attachments:
            made.append(
                uploads.upload(
                    actor,
                    io.BytesIO(attachment.content),
                    attachment.filename,
                    campaign_id=box.campaign_id,
                    sender=sender,
                )
            )
    except BaseException as exc:
        for metric_import in made:  # all of the message or none of it
            imports.discard(actor, metric_import.id)
        if not isinstance(exc, DomainError):
            raise
        if exc.status_code in (403, 404):  # no longer a party, or no longer allowed
            return Outcome(NOT_ACCEPTED)
        return Outcome(f"550 5.6.0 {exc.message} Nothing was stored")
    ids = [m.id for m in made]
    for import_id in ids:
        start(actor, import_id)
    log.info("intake address %s accepted %s file(s) from %s", box.address_id, len(ids), sender)
    files = "file" if len(ids) == 1 else "files"
    return Outcome(f"250 2.0.0 Received {len(ids)} results {files}", ids)


@transactional
def start(actor: Actor, import_id: int) -> str:
    """Run the import with the remembered mapping, or leave it at its preview for a person.

    Waits (and tells the partner managers) when the file asks anything of a person: its
    columns were never confirmed for this company (a first file of this layout), a question
    it leaves open (date order, a result indicator), a setting to choose, a placement name
    that finds no placement, spend past the commitments. Row errors are no question: the run
    checks every row, stores nothing and the reply lists them."""
    preview = imports.preview(actor, import_id, rows=0)
    reasons = [b.message for b in preview.blockers(post_costs=False) if b.field != "file"]
    if preview.names is not None and preview.names.unmatched:
        names = ", ".join(f"“{n.text.strip()}”" for n in preview.names.unmatched[:5])
        reasons.append(f"Placement names that find no placement: {names}.")
    if preview.metric_import.settings.get("mapping_source") != "saved":
        reasons.insert(
            0,
            "The first file with these columns: check once how they are read; the next files "
            "with the same columns are imported by themselves.",
        )
    if reasons:
        intake_replies.waiting(preview.metric_import, reasons)
        db.session.commit()
        return ImportStatus.PREVIEW.value
    intake_replies.expect_result(preview.metric_import)  # commits with the confirmation
    if preview.error_count:
        # The run checks every row again, lists them all and stores nothing.
        intake_replies.queue_to_refuse(preview.metric_import)
        status = ImportStatus.QUEUED.value
    else:
        status = imports.confirm(actor, import_id, post_costs=False).status
    return status
