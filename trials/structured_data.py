"""schema.org JSON-LD for search engines: MedicalTrial on trial pages, FAQPage on FAQ lists."""

import json

from django.utils.html import strip_tags
from django.utils.safestring import mark_safe

# schema.org MedicalStudyStatus members, by registry status.
STUDY_STATUS = {
    "NOT_YET_RECRUITING": "https://schema.org/NotYetRecruiting",
    "RECRUITING": "https://schema.org/Recruiting",
    "ENROLLING_BY_INVITATION": "https://schema.org/EnrollingByInvitation",
    "ACTIVE_NOT_RECRUITING": "https://schema.org/ActiveNotRecruiting",
    "SUSPENDED": "https://schema.org/Suspended",
    "TERMINATED": "https://schema.org/Terminated",
    "COMPLETED": "https://schema.org/Completed",
    "WITHDRAWN": "https://schema.org/Withdrawn",
}


def medical_trial(trial, *, url: str, sites) -> dict:
    data = {
        "@context": "https://schema.org",
        "@type": "MedicalTrial",
        "name": trial.brief_title,
        "alternateName": trial.plain_title,
        "identifier": trial.nct_id,
        "url": url,
        "sameAs": trial.registry_url,
        "description": trial.summary.split("\n\n")[0] if trial.summary else "",
        "sponsor": {"@type": "Organization", "name": trial.sponsor},
        "healthCondition": [{"@type": "MedicalCondition", "name": name} for name in trial.conditions],
        "studyLocation": [
            {"@type": "AdministrativeArea", "name": f"{site.facility}, {site.city}, {site.country}"} for site in sites
        ],
    }
    if trial.phase_display:
        data["phase"] = trial.phase_display
    if trial.overall_status in STUDY_STATUS:
        data["status"] = STUDY_STATUS[trial.overall_status]
    if trial.official_title:
        data["alternateName"] = [trial.plain_title, trial.official_title]
    return data


def faq_page(faqs) -> dict:
    return {
        "@context": "https://schema.org",
        "@type": "FAQPage",
        "mainEntity": [
            {
                "@type": "Question",
                "name": faq.question,
                "acceptedAnswer": {"@type": "Answer", "text": strip_tags(faq.answer)},
            }
            for faq in faqs
        ],
    }


def script(data: dict) -> str:
    """A <script type="application/ld+json"> block, escaped so text cannot close the tag."""
    text = json.dumps(data, ensure_ascii=False).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return mark_safe(f'<script type="application/ld+json">{text}</script>')  # noqa: S308 (escaped above)
