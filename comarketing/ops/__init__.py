"""What operators and load balancers talk to: request ids and JSON logs, readiness, metrics;
the Background jobs page; the periodic rounds the scheduler queues.

Sits to the right of the domain packages, like the dashboard: it counts their backlogs, asks
the database, Redis and the broker whether they answer, and calls the domains' own services
for the periodic rounds (reminders, digests, purges).
"""
