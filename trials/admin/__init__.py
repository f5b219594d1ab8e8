"""The Django admin: content (staff), screening rules, and the study-team inbox."""

from trials.admin import content, messages, screening  # noqa: F401
