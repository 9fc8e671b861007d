"""Campaigns: joint ones come from approved offers, solo ones belong to one organization.

- ``access``: which campaigns an organization sees (every query starts here), their parties.
- ``lifecycle``: creating joint and solo campaigns, editing solo ones, the status table.
- ``listing``: one campaign with its parties, placements and milestones; the filtered list.
- ``placements`` and ``milestones``: a campaign's placements and milestones.
- ``schedule``: the month and week calendar; ``calendar_filters`` reads its filters,
  ``calendar_grid`` lays items out as bands (pure), ``clashes`` finds placement-level clashes.
- ``feeds``: the private calendar feed's tokens and content; ``ical`` renders it.
"""
