"""Budgets: the append-only ledger of commitments, expenses and reversals per campaign, and
the claims and payments beside it.

- ``posting``: the checks and the write every hand-posted entry shares; ``OverBudget``.
- ``commitments``, ``reversals``: entries posted by hand.
- ``claims`` (claim, revise, withdraw), ``claim_responses`` (confirm, dispute, the window),
  ``payments``: expenses the other parties confirm, and payments between the parties;
  ``claim_workflow`` (their lifecycles), ``claim_states`` (what each is now), ``proofs``
  (their files), ``claim_notices`` (who is told).
- ``imported_costs``: expenses kept in step with imported ad results.
- ``alerts``: telling the parties when spend reaches 80 % and 100 % of the commitments.
- ``balances``: what the ledger sums to, the settlement between parties, the entry list.
- ``settlement``: the pure arithmetic of who owes whom.
"""
