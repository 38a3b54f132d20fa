"""Valid request bodies to start from; tests change the one field they are about."""

from __future__ import annotations

from typing import Any


def need_body(**overrides: Any) -> dict[str, Any]:
    body = {
        "title": "Border management information system for Dakar airport",
        "description": "Train border police officers and install a border management information system.",
        "country": "SEN",
        "gcm_objectives": [11, 1],
        "capacity_areas": ["border_management", "data_collection_analysis"],
        "resource_types": ["financial", "training"],
        "amount": 250000,
        "currency": "EUR",
        "deadline": "2030-06-30",
    }
    return {**body, **overrides}


def offer_body(**overrides: Any) -> dict[str, Any]:
    body = {
        "title": "Integrated border management facility",
        "description": "Grants for border management and migration data systems in West Africa.",
        "gcm_objectives": [11],
        "capacity_areas": ["border_management"],
        "resource_types": ["financial"],
        "countries": [],
        "regions": ["Africa"],
        "global": False,
        "budget": 1000000,
        "currency": "USD",
        "min_amount": 10000,
        "max_amount": 500000,
        "deadline": "2030-12-31",
    }
    return {**body, **overrides}
