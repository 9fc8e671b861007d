"""What operators and load balancers talk to: request ids and JSON logs, readiness, metrics.

Sits to the right of the domain packages, like the dashboard: it only counts their backlogs
and asks the database and Redis whether they answer; it changes nothing.
"""
