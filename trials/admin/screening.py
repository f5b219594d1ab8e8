"""Admin for the pre-screener: the question bank (with its choices) and each trial's criteria.

A criterion that reads an unknown question, or whose values do not fit the
question's answers, is refused with a message beside the field (see
`Criterion.clean` and `eligibility.rule_problems`).
"""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from modeltranslation.admin import TranslationStackedInline, TranslationTabularInline

from trials.admin.content import ReviewedContentAdmin
from trials.models import Choice, Criterion, Question


class ChoiceInline(TranslationTabularInline):
    model = Choice
    fields = ("order", "value", "label")
    extra = 0


class CriterionInline(TranslationStackedInline):
    """The criteria that read this question, for a quick look."""

    model = Criterion
    fk_name = "question"
    fields = ("trial", "kind", "text", "operator", "values")
    readonly_fields = ("trial", "kind", "text", "operator", "values")
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Question)
class QuestionAdmin(ReviewedContentAdmin):
    list_display = ("key", "wording", "kind", "step", "order", "show_if")
    list_filter = ("kind", "step")
    search_fields = ("key", "wording", "help_text")
    ordering = ("step", "order")
    inlines = [ChoiceInline, CriterionInline]

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        if "show_if_values" in form.base_fields:
            form.base_fields["show_if_values"].help_text = _(
                'Answers of the question above, as a list, for example ["all", "unsure"]. '
                "Yes/no questions answer yes, no or unsure; every choice question also has unsure."
            )
        return form

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if obj is not None:
            # Partners, the API and the rules rely on keys and answer types.
            readonly += ["key", "kind"]
        return readonly


@admin.register(Criterion)
class CriterionAdmin(ReviewedContentAdmin):
    list_display = ("text", "trial", "kind", "question", "operator", "values", "ask_doctor", "order")
    list_filter = ("trial", "kind", "question")
    search_fields = ("text", "key")
    list_select_related = ("trial", "question")
    ordering = ("trial", "kind", "order")

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        if "values" in form.base_fields:
            form.base_fields["values"].help_text = _(
                'A list. For "answer is one of the values": answers of the question, for example ["all", '
                '"alal_lymphoid"]. For the age comparisons: one number, for example [12]. For "all answered '
                'yes": the keys of the other yes/no questions, for example ["tumour_surgery_done"]. '
                "For a who-cannot-join rule, describe the children who cannot join: a matching answer rules the "
                "child out. Leave the question empty for a criterion the study team checks. The registry's age "
                "limits and sex are added by the pre-screener itself."
            )
        return form
