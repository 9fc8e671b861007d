"""Budgets: the append-only ledger of commitments, expenses and reversals per campaign.

- ``posting``: the checks and the write every hand-posted entry shares; ``OverBudget``.
- ``commitments``, ``expenses``, ``reversals``: the three kinds of entry.
- ``imported_costs``: expenses kept in step with imported ad results.
- ``alerts``: telling the parties when spend reaches 80 % and 100 % of the commitments.
- ``balances``: what the ledger sums to, the settlement between parties, the entry list.
- ``settlement``: the pure arithmetic of who owes whom.
"""
