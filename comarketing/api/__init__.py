"""Personal access tokens and the JSON API (issue 5)."""
