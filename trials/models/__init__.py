from trials.models.contact import ContactMessage, DeliveryAttempt, MessageNote, StaffLanguage
from trials.models.content import FAQ, FieldReview, GlossaryTerm, Site, TreatmentGroup, TreatmentStep, Trial
from trials.models.screening import Choice, Criterion, Question

__all__ = [
    "FAQ",
    "Choice",
    "ContactMessage",
    "DeliveryAttempt",
    "MessageNote",
    "StaffLanguage",
    "Criterion",
    "FieldReview",
    "GlossaryTerm",
    "Question",
    "Site",
    "TreatmentGroup",
    "TreatmentStep",
    "Trial",
]
