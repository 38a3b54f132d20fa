"""The web application for people: server-rendered pages (Jinja, htmx for partial updates)
for states, funders and coordinators, calling the same services as the API."""
