"""Alerts for funders: a subscription on an offer (with the needs list's filters, a minimum
score and how many of the top results count) is told when a new or changed need ranks there,
by a signed webhook or by e-mail, from an outbox the database fills in the change's own
transaction."""
