"""Joint offers: proposing terms to partners, reviewing them, and approving them into a campaign.

Every public service function takes the acting user, checks the policy and the lifecycle table
(``workflow.py``), owns its transaction, and raises domain errors. One module per capability:

- ``proposals``: draft, send, counter-propose (revise), discard, withdraw, clone
- ``reviews``: each party's decision, the approval rule, the campaign an approval creates
- ``discussion``: comments on an offer
- ``offer_page`` and ``lists``: what the offer page and the lists and inbox show
- ``deadlines``: the review window, reminders, overdue notices and expiry
- below them: ``terms`` (inputs, form choices, checks), ``access`` (loading through the
  parties), ``records`` (events, notifications, the commit that turns races into Conflict)
"""
