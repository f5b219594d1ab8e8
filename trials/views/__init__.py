from trials.views.language import switch_language
from trials.views.pages import (
    about,
    faq,
    favicon,
    glossary,
    healthz,
    home,
    privacy,
    robots_txt,
    trial_detail,
    trial_list,
    trial_sites,
)

__all__ = [
    "about",
    "faq",
    "favicon",
    "glossary",
    "healthz",
    "home",
    "privacy",
    "robots_txt",
    "switch_language",
    "trial_detail",
    "trial_list",
    "trial_sites",
]
