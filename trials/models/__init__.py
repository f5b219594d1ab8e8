from trials.models.contact import ContactMessage, DeliveryAttempt, MessageNote, StaffLanguage
from trials.models.content import (
    FAQ,
    FieldReview,
    GlossaryTerm,
    Site,
    TreatmentGroup,
    TreatmentStep,
    Trial,
    TrialSource,
    prefetch_reviews,
)
from trials.models.follow import Alert, Follow, Follower, FollowerEmail, TrialFollowing
from trials.models.notes import SharedNotes
from trials.models.registry import PendingChange
from trials.models.screening import Choice, Criterion, Question

__all__ = [
    "FAQ",
    "Alert",
    "Choice",
    "ContactMessage",
    "DeliveryAttempt",
    "MessageNote",
    "StaffLanguage",
    "Criterion",
    "FieldReview",
    "Follow",
    "Follower",
    "FollowerEmail",
    "GlossaryTerm",
    "PendingChange",
    "Question",
    "SharedNotes",
    "Site",
    "TreatmentGroup",
    "TreatmentStep",
    "Trial",
    "TrialFollowing",
    "TrialSource",
    "prefetch_reviews",
]
