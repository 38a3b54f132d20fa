"""HTTP helpers that controllers share: parameters, problem details, responses, security
headers and OpenAPI descriptions. Nothing here imports a domain package."""
