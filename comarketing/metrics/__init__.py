"""Daily results per placement: entry by form, file and API, and the import history."""
