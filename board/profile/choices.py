"""The answers a diagnosis profile may hold (slug → label) and how each is said back.

Data only. Slugs are stored; never rename one, add new entries instead.
"""
from __future__ import annotations

SUBTYPES: dict[str, str] = {
    "hr-positive": "HR-positive / HER2-negative",
    "her2-positive": "HER2-positive",
    "triple-negative": "Triple-negative",
    "not-sure": "Not sure",
}
SPREAD: dict[str, str] = {
    "bone": "Bone",
    "liver": "Liver",
    "lung": "Lung",
    "brain": "Brain",
    "lymph-nodes": "Lymph nodes",
    "other": "Somewhere else",
}
TREATMENTS: dict[str, str] = {
    "chemotherapy": "Chemotherapy",
    "hormonal": "Hormonal (endocrine) therapy",
    "targeted": "Targeted therapy",
    "immunotherapy": "Immunotherapy",
    "radiation": "Radiation",
    "clinical-trial": "A clinical trial",
    "break": "Taking a break from treatment",
    "none": "No treatment at the moment",
}
ORIGINS: dict[str, str] = {
    "de-novo": "Metastatic from the start (de novo)",
    "recurrence": "A recurrence after earlier breast cancer",
}
AUDIENCE_LABELS: dict[str, str] = {
    "me": "Only me",
    "members": "Members of Circle",
    "public": "Everyone",
}
FIELD_LABELS: dict[str, str] = {
    "subtype": "Subtype",
    "spread": "Where it has spread",
    "treatment": "Current treatment",
    "origin": "How it was found",
    "year": "Year of diagnosis",
}
EARLIEST_YEAR = 1950


def label(field: str, value) -> str:
    """The words for one stored answer ('' when unanswered)."""
    if field == "year":
        return str(value) if value else ""
    if field == "spread":
        return ", ".join(SPREAD[v] for v in SPREAD if v in (value or []))
    table = {"subtype": SUBTYPES, "treatment": TREATMENTS, "origin": ORIGINS}[field]
    return table.get(value or "", "")
