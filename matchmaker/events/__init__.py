"""Events: the audit trail as a feed that clients follow, and the live LISTEN/NOTIFY hub behind it."""
