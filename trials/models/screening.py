"""The guardian questionnaire and each trial's criteria, as data.

Questions are asked once and shared by every trial. A criterion is a rule over
one question's answer; the engine in `trials/eligibility/` evaluates them
without touching the database.
"""

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from trials import eligibility
from trials.models.content import ReviewedContent, Trial


def labelled(enum, labels: dict) -> list[tuple[str, str]]:
    """Model choices from one of the engine's enums: the values are the engine's, the labels are written here.

    Only the members given a label are offered; a label for a value the engine does not know fails at import.
    """
    unknown = set(labels) - set(enum)
    if unknown:
        raise ValueError(f"not in {enum.__name__}: {sorted(unknown)}")
    return [(member.value, labels[member]) for member in enum if member in labels]


class Question(ReviewedContent):
    # The answer types the engine knows (trials/eligibility/rules.py).
    Kind = eligibility.Kind
    KIND_CHOICES = labelled(
        Kind,
        {
            Kind.DATE: _("A date"),
            Kind.YES_NO: _("Yes / no / not sure"),
            Kind.CHOICE: _("One choice from a list"),
        },
    )

    text_fields = ("wording", "help_text", "doctor_question")

    key = models.SlugField(_("key"), max_length=50, unique=True, help_text=_("Stable name used by rules and the API."))
    kind = models.CharField(_("answer type"), max_length=10, choices=KIND_CHOICES)
    wording = models.CharField(_("question"), max_length=300)
    help_text = models.TextField(_("help"), blank=True)
    doctor_question = models.CharField(
        _("question for the doctor"),
        max_length=300,
        blank=True,
        help_text=_(
            "Shown as a question to ask the child's doctor when the answer is not known, or when a rule that reads "
            "it rules the child out and asks for a check."
        ),
    )
    step = models.PositiveSmallIntegerField(_("step"), default=1)
    order = models.PositiveSmallIntegerField(default=0)
    show_if = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("ask only when"),
        help_text=_("Ask this question only when that question's answer is one of the values below."),
    )
    show_if_values = models.JSONField(_("for these answers"), default=list, blank=True)

    class Meta:
        ordering = ["step", "order", "key"]
        verbose_name = _("question")
        verbose_name_plural = _("questions")

    def __str__(self):
        return self.key

    def as_spec(self, key_of: dict[int, str] | None = None) -> eligibility.QuestionSpec:
        """This question as plain data for the rule engine (reads the choices).

        `key_of` maps question ids to keys, so a whole bank is built without a query per question.
        """
        if key_of is None:
            key_of = {self.show_if_id: self.show_if.key} if self.show_if_id else {}
        return eligibility.QuestionSpec(
            key=self.key,
            kind=self.kind,
            choices=tuple(choice.value for choice in self.choices.all()) if self.pk else (),
            step=self.step,
            show_if=key_of.get(self.show_if_id),
            show_if_values=tuple(self.show_if_values or ()),
        )

    def clean(self):
        if self.show_if_id and self.pk and self.show_if_id == self.pk:
            raise ValidationError({"show_if": _("A question cannot depend on itself.")})
        if not isinstance(self.show_if_values, list):
            message = _('Give the answers as a list, for example ["all", "unsure"].')
            raise ValidationError({"show_if_values": message})
        if self.show_if_values and not self.show_if_id:
            raise ValidationError({"show_if": _("Choose the question whose answers are listed.")})
        if self.show_if_id:
            if not self.show_if_values:
                raise ValidationError({"show_if_values": _("List the answers for which this question is asked.")})
            allowed = self.show_if.as_spec().allowed_values()
            wrong = [str(value) for value in self.show_if_values if value not in allowed]
            if wrong:
                raise ValidationError(
                    {
                        "show_if_values": _("“%(wrong)s” is not an answer to “%(key)s”. Its answers are: %(allowed)s.")
                        % {"wrong": ", ".join(wrong), "key": self.show_if.key, "allowed": ", ".join(allowed)}
                    }
                )


class Choice(ReviewedContent):
    text_fields = ("label",)

    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="choices")
    value = models.SlugField(_("value"), max_length=50)
    label = models.CharField(_("label"), max_length=200)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["question", "order", "id"]
        constraints = [models.UniqueConstraint(fields=["question", "value"], name="unique_choice_value")]
        verbose_name = _("choice")
        verbose_name_plural = _("choices")

    def __str__(self):
        return self.value


class Criterion(ReviewedContent):
    """One line of who can join (inclusion) or who cannot (exclusion).

    A criterion with a question is checked by the pre-screener. One without a
    question is shown on the trial page and left to the study team.
    """

    Kind = eligibility.RuleKind
    KIND_CHOICES = labelled(Kind, {Kind.INCLUSION: _("Who can join"), Kind.EXCLUSION: _("Who cannot join")})
    # The comparisons staff may write; the registry's age rules are made by the importer, never here.
    Operator = eligibility.Operator
    OPERATOR_CHOICES = labelled(
        Operator,
        {
            Operator.IN: _("answer is one of the values"),
            Operator.NOT_IN: _("answer is none of the values"),
            Operator.DIAGNOSED_BEFORE_AGE_MONTHS: _("diagnosed before this age, in months"),
            Operator.AGE_AT_MOST_YEARS: _("child's age today is at most this many years"),
            Operator.ALL_YES: _("this question and the ones in the values are all answered yes (one known way in)"),
        },
    )

    text_fields = ("text", "doctor_question")

    trial = models.ForeignKey(Trial, on_delete=models.CASCADE, related_name="criteria")
    key = models.SlugField(max_length=60, help_text=_("Stable name, used when content files are loaded."))
    kind = models.CharField(_("kind"), max_length=10, choices=KIND_CHOICES)
    order = models.PositiveSmallIntegerField(default=0)
    text = models.CharField(_("text"), max_length=300)
    question = models.ForeignKey(
        Question, null=True, blank=True, on_delete=models.PROTECT, related_name="criteria", verbose_name=_("question")
    )
    operator = models.CharField(_("comparison"), max_length=40, choices=OPERATOR_CHOICES, blank=True)
    values = models.JSONField(_("values"), default=list, blank=True)
    ask_doctor = models.BooleanField(
        _("ask the doctor when it rules a child out"),
        default=False,
        help_text=_(
            "Tick when a guardian could easily give a wrong answer here (a syndrome, the exact diagnosis, a "
            "medicine): the result then suggests checking it with the child's doctor."
        ),
    )
    doctor_question = models.CharField(
        _("question for the doctor"),
        max_length=300,
        blank=True,
        help_text=_(
            "For a criterion the study team checks, or one the answers cannot settle. Empty: the questions' own "
            "questions for the doctor are used."
        ),
    )

    class Meta:
        ordering = ["trial", "kind", "order", "id"]
        constraints = [models.UniqueConstraint(fields=["trial", "key"], name="unique_criterion_key")]
        verbose_name = _("criterion")
        verbose_name_plural = _("criteria")

    def __str__(self):
        return self.text

    def as_rule(self, key_of: dict[int, str]) -> eligibility.Rule:
        """This criterion as plain data for the rule engine; `key_of` maps question ids to keys."""
        return eligibility.Rule(
            key=self.key,
            kind=self.kind,
            question=key_of.get(self.question_id),
            operator=self.operator,
            values=tuple(self.values or ()),
            ask_doctor=self.ask_doctor,
        )

    def clean(self):
        question = self.question.as_spec() if self.question_id else None
        others = {}
        if self.operator == self.Operator.ALL_YES and isinstance(self.values, list):
            keys = [value for value in self.values if isinstance(value, str)]
            others = {q.key: q.as_spec() for q in Question.objects.filter(key__in=keys)}
        problems = eligibility.rule_problems(
            question=question, operator=self.operator, values=self.values, kind=self.kind, others=others
        )
        if problems:
            raise ValidationError(problems)
