"""The closed vocabularies named for people, marked for the catalogue and translated where shown."""

from __future__ import annotations

from matchmaker.pages import i18n
from matchmaker.pages.i18n import N_

LABELS: dict[str, dict[str, str]] = {
    "resource_type": {
        "financial": N_("Money"), "technical_expertise": N_("Technical expertise"), "training": N_("Training"),
        "equipment": N_("Equipment"), "in_kind": N_("In kind"), "volunteers": N_("Volunteers"),
    },
    "capacity_area": {
        "data_collection_analysis": N_("Data collection and analysis"), "consular_practices": N_("Consular practices"),
        "border_management": N_("Border management"), "international_obligations": N_("International obligations"),
        "cross_border_coordination": N_("Cross-border coordination"), "whole_of_government": N_("Whole-of-government"),
        "whole_of_society": N_("Whole-of-society"), "diaspora_engagement": N_("Diaspora engagement"),
    },
    "status": {
        "open": N_("open"), "funded": N_("funded"), "closed": N_("closed"), "exhausted": N_("exhausted"),
        "proposed": N_("proposed"), "approved": N_("approved"), "rejected": N_("rejected"),
        "withdrawn": N_("withdrawn"), "disbursed": N_("disbursed"), "completed": N_("completed"),
        "cancelled": N_("cancelled"), "created": N_("created"), "updated": N_("updated"),
        "draft": N_("draft"), "committed": N_("committed"), "optimal": N_("optimal"),
        "feasible": N_("feasible (time limit)"), "infeasible": N_("infeasible"), "no_solution": N_("no solution"),
    },
    "factor": {
        "thematic": N_("Themes"), "geography": N_("Place"), "resources": N_("Resources"), "amount": N_("Amount"),
        "text": N_("Text"), "history": N_("Funding history"), "decisions": N_("Past decisions"),
        "prior": N_("Base"),
    },
    "organisation_kind": {
        "state_agency": N_("State agency"), "local_authority": N_("Local authority"),
        "bilateral_donor": N_("Bilateral donor"), "multilateral": N_("Multilateral organisation"),
        "un_agency": N_("UN agency"), "foundation": N_("Foundation"), "private_sector": N_("Private company"),
        "diaspora_organisation": N_("Diaspora organisation"), "individual": N_("Individual"),
        "civil_society": N_("Civil society"),
    },
    "language": {"en": N_("English"), "fr": N_("French"), "es": N_("Spanish")},
    "error": {
        "Not found": N_("Not found"), "Forbidden": N_("Forbidden"), "Conflict": N_("Conflict"),
        "Invalid input": N_("Invalid input"), "Service unavailable": N_("Service unavailable"),
        "Too many attempts": N_("Too many attempts"), "Internal server error": N_("Internal server error"),
        "Malformed request": N_("Malformed request"), "Not authenticated": N_("Not authenticated"),
        "Method not allowed": N_("Method not allowed"), "Sign in required": N_("Sign in required"),
    },
}


def label(code: str, kind: str, language: str) -> str:
    """``code`` of vocabulary ``kind`` named in ``language`` (the code itself when unknown)."""
    name = LABELS[kind].get(code)
    return i18n.gettext(language, name) if name else code


def choices(kind: str, language: str) -> list[tuple[str, str]]:
    return [(code, i18n.gettext(language, name)) for code, name in LABELS[kind].items()]
