"""HTTP infrastructure: the app factory, problem details, pagination, request-scoped dependencies."""
