"""Audience identifiers, kept only as Theta sketches: deduplicated reach and overlap (issue 7)."""
