"""Downloads and opens of an asset's versions: every one is recorded (who, which company,
which version) before the file or link is handed back; the usage reports count them."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from comarketing import storage
from comarketing.collateral import files
from comarketing.collateral.access import asset_version, load_asset
from comarketing.collateral.models import CollateralUsage, CollateralVersion, UsageAction
from comarketing.context import Actor
from comarketing.errors import NotFound
from comarketing.extensions import db
from comarketing.unit_of_work import transactional


@dataclass(frozen=True)
class Served:
    """What to send back: a stored file (``path``) or a link to follow (``link``)."""

    path: Path | None
    file_type: files.FileType | None
    download_name: str
    inline: bool
    link: str | None = None
    version: int = 0  # the version's number


@transactional
def fetch(actor: Actor, asset_id: int, *, action: str, version_number: int | None = None) -> Served:
    """Record who downloaded or opened which version, then say what to send."""
    asset = load_asset(actor, asset_id)
    try:
        usage_action = UsageAction(action)
    except ValueError as exc:  # pragma: no cover - the views pass one of the two
        raise NotFound() from exc
    version = asset_version(asset, version_number)
    db.session.add(
        CollateralUsage(
            asset_id=asset.id,
            version_id=version.id,
            campaign_id=asset.campaign_id,
            organization_id=actor.organization_id,
            user_id=actor.user_id,
            action=usage_action.value,
        )
    )
    db.session.commit()
    return _served(version, inline=usage_action is UsageAction.OPEN)


def again(actor: Actor, asset_id: int, version_number: int) -> Served:
    """What a download already counted sent (the API's replay of a retried download): the
    same version again, counted once."""
    asset = load_asset(actor, asset_id)
    return _served(asset_version(asset, version_number), inline=False)


def _served(version: CollateralVersion, *, inline: bool) -> Served:
    if version.link_url:
        return Served(None, None, "", inline=False, link=version.link_url, version=version.number)
    file_type = files.KNOWN_TYPES.get(version.media_type or "")
    if file_type is None or not version.file_hash:  # pragma: no cover - stored ones are known
        raise NotFound()
    path = files.stored_path(version.file_hash)
    if not path.exists():
        raise NotFound()
    return Served(
        path=path,
        file_type=file_type,
        download_name=files.download_name(version.filename, file_type),
        # A file stored before polyglots were refused at upload is never opened in the page.
        inline=inline and file_type.previews_inline and not storage.contains_markup(path),
        version=version.number,
    )
