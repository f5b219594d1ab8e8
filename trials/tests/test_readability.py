"""The shipped English text reads at the grade the issue asks for (textstat, offline)."""

import pytest

from trials import readability
from trials.models import FAQ, Trial

pytestmark = pytest.mark.usefixtures("trials_data")


def test_textstat_works_offline_and_measures_grade():
    # A known paragraph, with the grade textstat gives it (see the tooling recipes).
    text = (
        "The Australian platypus is seemingly a hybrid of a mammal and reptilian creature. It is one of the few "
        "mammals that lay eggs. Parents should read the permission form carefully before signing it."
    )
    assert readability.grade(text) == pytest.approx(7.3, abs=0.05)
    assert readability.grade("We stop. You go.") < readability.grade(text)


@pytest.mark.parametrize("field", ["summary", "involvement", "risks"])
def test_trial_summaries_what_taking_part_involves_and_risks_read_at_grade_7_or_lower(field):
    trials = list(Trial.objects.published())
    assert trials
    for trial in trials:
        text = getattr(trial, f"{field}_en")
        assert text, f"{trial.nct_id} has no {field}"
        assert readability.grade(text) <= 7.0, f"{trial.nct_id} {field} reads at grade {readability.grade(text)}"


def test_faq_answers_read_at_grade_8_or_lower():
    faqs = list(FAQ.objects.published())
    assert len(faqs) >= 10
    too_hard = {faq.key: readability.grade(faq.answer_en) for faq in faqs if readability.grade(faq.answer_en) > 8.0}
    assert not too_hard


def test_content_answers_the_questions_the_issue_names():
    questions = " ".join(FAQ.objects.general().values_list("question_en", flat=True)).lower()
    for topic in ("what is a clinical trial", "cost", "safe", "leave", "how long", "why"):
        assert topic in questions, topic
    assert FAQ.objects.filter(topic=FAQ.Topic.INFANTS).count() >= 3
