"""Webhooks (issue 20): a company's endpoints, the signed delivery of its events and the pages
to manage them. Events are raised by the services (:mod:`comarketing.events`); this package
sends them, logs every attempt and disables an endpoint that kept failing for days."""
