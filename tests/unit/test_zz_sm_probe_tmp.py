import collections, inspect
from tests.unit import test_offer_state_machine as m

def test_probe(ctx):
    stats = collections.Counter()
    statuses = collections.Counter()
    orig = m.OfferMachine.attempt
    def attempt(self, expected, call):
        rule = inspect.stack()[1].function
        stats[(rule, expected.__name__ if expected else "ok")] += 1
        return orig(self, expected, call)
    m.OfferMachine.attempt = attempt
    def teardown(self):
        for o in self.model.values(): statuses[(o.status, o.current, len(o.parties))] += 1
    m.OfferMachine.teardown = teardown
    try:
        m.test_random_offer_journeys_keep_the_invariants(ctx)
    finally:
        m.OfferMachine.attempt = orig
    for k, v in sorted(stats.items()): print(k, v)
    for k, v in sorted(statuses.items()): print(k, v)
