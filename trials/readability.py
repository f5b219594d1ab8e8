"""Reading level of the English plain-language text (Flesch-Kincaid grade, via textstat).

textstat is pinned to 0.7.8, the last release that works offline for English.
"""

import textstat

# Highest grade allowed, by (model name, field).
TARGETS = {
    ("trial", "summary"): 7.0,
    ("trial", "involvement"): 7.0,
    ("trial", "risks"): 7.0,
    ("faq", "answer"): 8.0,
}


def grade(text: str) -> float:
    # List markers are layout, not words.
    cleaned = "\n".join(line.removeprefix("- ") for line in (text or "").splitlines())
    if not cleaned.strip():
        return 0.0
    return round(textstat.flesch_kincaid_grade(cleaned), 1)


def target_for(model_name: str, field: str) -> float | None:
    return TARGETS.get((model_name, field))
