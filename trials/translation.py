"""Which model fields carry English, Korean and Chinese versions (django-modeltranslation)."""

from modeltranslation.translator import TranslationOptions, register

from trials.models import (
    FAQ,
    Choice,
    Criterion,
    GlossaryTerm,
    Question,
    Site,
    TreatmentGroup,
    TreatmentStep,
    Trial,
    TrialSource,
)


def fields_of(model):
    return type(f"{model.__name__}Translation", (TranslationOptions,), {"fields": model.text_fields})


for model in (Trial, Site, TreatmentGroup, TreatmentStep, FAQ, GlossaryTerm, Question, Choice, Criterion, TrialSource):
    register(model)(fields_of(model))
