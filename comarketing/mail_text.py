"""The frame of a notification mail, kept a function of the reader's zone when its text is.

Texts holding a time are built as ``lambda tz: f"... {dates_format.format_deadline(due, tz)}"``
so that ``notifications.notify`` writes each recipient's copy in that person's zone.
"""

from __future__ import annotations

from comarketing.notifications import Body


def framed(text: Body, link: str) -> Body:
    """ "Hello," + the text + the link, for every reader."""
    if isinstance(text, str):
        return f"Hello,\n\n{text}\n\n{link}\n"
    return lambda tz: f"Hello,\n\n{text(tz)}\n\n{link}\n"
