"""schema.org JSON-LD for search engines: MedicalTrial on trial pages, FAQPage on FAQ lists.

Only properties schema.org defines for each type are used (a test checks them
against the vocabulary), no property is ever empty, every URL is built from
SITE_URL, and a fact the sources disagree on is left out rather than guessed.
Names and addresses are in the page's language.
"""

import json

from django.conf import settings
from django.utils.html import strip_tags
from django.utils.safestring import mark_safe

# schema.org MedicalStudyStatus members, named as the registry's statuses in CamelCase.
STUDY_STATUSES = {
    "ActiveNotRecruiting",
    "Completed",
    "EnrollingByInvitation",
    "NotYetRecruiting",
    "Recruiting",
    "Suspended",
    "Terminated",
    "Withdrawn",
}


def study_status(registry_status: str) -> str | None:
    name = "".join(word.capitalize() for word in registry_status.split("_"))
    return f"https://schema.org/{name}" if name in STUDY_STATUSES else None


def compact(value):
    """Drops empty values at every depth: schema.org has no use for an empty property."""
    if isinstance(value, dict):
        kept = {key: compact(item) for key, item in value.items()}
        return {key: item for key, item in kept.items() if item not in ("", None, [], {})}
    if isinstance(value, list):
        return [item for item in (compact(item) for item in value) if item not in ("", None, [], {})]
    return value


def postal_address(site) -> dict:
    return {
        "@type": "PostalAddress",
        "streetAddress": site.street,
        "addressLocality": site.city,
        "addressRegion": site.state,
        "postalCode": site.zip,
        "addressCountry": site.country,
    }


def medical_trial(trial, *, sites) -> dict:
    data = {
        "@context": "https://schema.org",
        "@type": "MedicalTrial",
        "name": trial.brief_title,
        "alternateName": [trial.plain_title, trial.official_title],
        "identifier": trial.nct_id,
        "url": settings.SITE_URL + trial.get_absolute_url(),
        "sameAs": trial.registry_url,
        "description": trial.summary.split("\n\n")[0] if trial.summary else "",
        "sponsor": {"@type": "Organization", "name": trial.sponsor},
        "healthCondition": [{"@type": "MedicalCondition", "name": name} for name in trial.conditions],
        "studyLocation": [
            {"@type": "AdministrativeArea", "name": site.facility, "address": postal_address(site)} for site in sites
        ],
    }
    if not trial.status_disputed:
        data["status"] = study_status(trial.overall_status)
    return compact(data)


def faq_page(faqs) -> dict:
    return compact(
        {
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
    )


def script(data: dict) -> str:
    """A <script type="application/ld+json"> block, escaped so text cannot close the tag."""
    text = json.dumps(data, ensure_ascii=False).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return mark_safe(f'<script type="application/ld+json">{text}</script>')  # noqa: S308 (escaped above)
