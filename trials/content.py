"""Loads the plain-language content from the YAML files in trials/data/content/.

Loading is safe to repeat: a row is matched by its key, created when missing,
and only its empty fields are filled. Text that staff have written or edited in
the admin is never overwritten.

A translatable value is either plain text (English) or a mapping of language
codes to text: {en: ..., ko: ..., zh-hans: ...}.
"""

from dataclasses import dataclass, field
from pathlib import Path

import yaml
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction

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

CONTENT_DIR = Path(__file__).resolve().parent / "data" / "content"
LANGUAGE_CODES = [code for code, _name in settings.LANGUAGES]


class ContentError(Exception):
    pass


@dataclass
class LoadReport:
    created: dict[str, int] = field(default_factory=dict)
    filled: int = 0
    warnings: list[str] = field(default_factory=list)

    def count(self, kind: str) -> None:
        self.created[kind] = self.created.get(kind, 0) + 1


def translations(value) -> dict[str, str]:
    if value is None:
        return {}
    if isinstance(value, str):
        return {settings.LANGUAGE_CODE: value}
    if isinstance(value, dict):
        unknown = set(value) - set(LANGUAGE_CODES)
        if unknown:
            raise ContentError(f"unknown language code(s): {', '.join(sorted(unknown))}")
        return {code: str(text).strip() for code, text in value.items() if text}
    raise ContentError(f"expected text or a mapping of languages, got {type(value).__name__}")


def fill(obj, data: dict, text_fields: tuple[str, ...], plain_fields: tuple[str, ...], report: LoadReport) -> None:
    """Sets only the fields that are still empty, so staff edits survive a reload.

    A plain field still at its model default counts as empty: a row made by the
    importer (a site's language) or by this loader (a question's step) has not
    been chosen by anyone yet.
    """
    for name in text_fields:
        for code, text in translations(data.get(name)).items():
            attribute = f"{name}_{code.replace('-', '_')}"
            if not getattr(obj, attribute):
                setattr(obj, attribute, text)
                report.filled += 1
    for name in plain_fields:
        unset = ("", None, [], obj._meta.get_field(name).get_default())
        current = getattr(obj, name)
        if name in data and current in unset and data[name] not in ("", None) and current != data[name]:
            setattr(obj, name, data[name])
            report.filled += 1


def read(name: str, directory: Path) -> dict:
    path = directory / name
    if not path.exists():
        return {}
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as error:
        raise ContentError(f"{path}: not valid YAML: {error}") from None


def content_load(*, directory: Path = CONTENT_DIR) -> LoadReport:
    report = LoadReport()
    with transaction.atomic():
        load_glossary(read("glossary.yaml", directory), report)
        load_questions(read("questions.yaml", directory), report)
        load_trials(read("trials.yaml", directory), read("criteria.yaml", directory), report)
        load_faqs(read("faq.yaml", directory).get("faqs", []), None, report)
        load_sources(read("sources.yaml", directory), report)
    return report


def load_glossary(data: dict, report: LoadReport) -> None:
    for item in data.get("terms", []):
        term = GlossaryTerm.objects.filter(slug=item["slug"]).first()
        if term is None:
            term = GlossaryTerm(slug=item["slug"])
            report.count("glossary terms")
        fill(term, item, GlossaryTerm.text_fields, (), report)
        term.save()


def load_questions(data: dict, report: LoadReport) -> None:
    by_key = {}
    for order, item in enumerate(data.get("questions", [])):
        question = Question.objects.filter(key=item["key"]).first()
        if question is None:
            question = Question(key=item["key"], kind=item["kind"], order=order)
            report.count("questions")
        fill(question, item, Question.text_fields, ("step", "show_if_values"), report)
        question.save()
        by_key[question.key] = (question, item)
        for choice_order, choice_data in enumerate(item.get("choices", [])):
            choice = Choice.objects.filter(question=question, value=choice_data["value"]).first()
            if choice is None:
                choice = Choice(question=question, value=choice_data["value"], order=choice_order)
                report.count("choices")
            fill(choice, choice_data, Choice.text_fields, (), report)
            choice.save()
    # Dependencies last, once every question exists.
    for question, item in by_key.values():
        if item.get("show_if") and question.show_if_id is None:
            question.show_if = Question.objects.get(key=item["show_if"])
            question.save(update_fields=["show_if"])


def load_trials(data: dict, criteria: dict, report: LoadReport) -> None:
    for item in data.get("trials", []):
        trial = Trial.objects.filter(nct_id=item["nct_id"]).first()
        if trial is None:
            report.warnings.append(
                f"{item['nct_id']} is not imported yet: run import_trials first. Its content was skipped."
            )
            continue
        fill(trial, item, Trial.text_fields, ("condition_slug", "order"), report)
        trial.save()
        for site_data in item.get("sites", []):
            load_site(trial, site_data, report)
        for order, group_data in enumerate(item.get("treatment_groups", [])):
            load_group(trial, order, group_data, report)
        # Criteria live in their own file, criteria.yaml: {criteria: {NCT...: [...]}}.
        created = [
            load_criterion(trial, order, criterion_data, report)
            for order, criterion_data in enumerate(criteria.get("criteria", {}).get(trial.nct_id, []))
        ]
        if any(created) and trial.nct_id in criteria.get("criteria_complete", []):
            # Marked complete when its criteria are first loaded; after that it is staff's call in the admin.
            trial.criteria_complete = True
            trial.save(update_fields=["criteria_complete"])
        load_faqs(item.get("faqs", []), trial, report)


def load_site(trial: Trial, data: dict, report: LoadReport) -> None:
    site = Site.objects.filter(trial=trial, facility_en=data["facility"], city_en=data["city"]).first()
    if site is None:
        report.warnings.append(f"{trial.nct_id}: no site {data['facility']!r} in {data['city']!r}; it was skipped.")
        return
    texts = dict(data.get("translations", {}))
    if data.get("street"):
        # The street is kept by staff (the registry has none): English beside the translations.
        texts["street"] = {settings.LANGUAGE_CODE: data["street"], **translations(texts.get("street"))}
    fill(site, texts, Site.text_fields, (), report)
    fill(site, data, (), ("local_language",), report)
    site.save()


def load_group(trial: Trial, order: int, data: dict, report: LoadReport) -> None:
    group = TreatmentGroup.objects.filter(trial=trial, key=data["key"]).first()
    if group is None:
        group = TreatmentGroup(trial=trial, key=data["key"], order=order)
        report.count("treatment groups")
    fill(group, data, TreatmentGroup.text_fields, (), report)
    group.save()
    for step_order, step_data in enumerate(data.get("steps", [])):
        step = TreatmentStep.objects.filter(group=group, order=step_order).first()
        if step is None:
            step = TreatmentStep(group=group, order=step_order, is_transplant=step_data.get("is_transplant", False))
            report.count("treatment steps")
        fill(step, step_data, TreatmentStep.text_fields, (), report)
        step.save()


def load_criterion(trial: Trial, order: int, data: dict, report: LoadReport) -> bool:
    """Returns True when the criterion is new."""
    criterion = Criterion.objects.filter(trial=trial, key=data["key"]).first()
    created = criterion is None
    if created:
        criterion = Criterion(
            trial=trial, key=data["key"], kind=data["kind"], order=order, ask_doctor=data.get("ask_doctor", False)
        )
        report.count("criteria")
    if criterion.question_id is None and data.get("question"):
        # A new rule, or one the study team checked until the question bank could ask it.
        criterion.question = Question.objects.filter(key=data["question"]).first()
        if criterion.question is None:
            raise ContentError(f"{trial.nct_id} criterion {data['key']}: no question {data['question']!r}")
        criterion.operator = data["operator"]
        criterion.values = data.get("values", [])
        if not created:
            report.filled += 1
    fill(criterion, data, Criterion.text_fields, (), report)
    criterion.save()
    return created


def load_faqs(items: list, trial: Trial | None, report: LoadReport) -> None:
    for order, item in enumerate(items):
        faq = FAQ.objects.filter(key=item["key"]).first()
        if faq is None:
            faq = FAQ(
                key=item["key"],
                trial=trial,
                order=order,
                topic=item.get("topic", FAQ.Topic.TRIAL if trial else FAQ.Topic.TRIALS),
            )
            report.count("FAQs")
        fill(faq, item, FAQ.text_fields, (), report)
        faq.save()


def load_sources(data: dict, report: LoadReport) -> None:
    """Where each trial's registry facts were seen: {sources: {NCT...: [{name, url, seen_on, covers, status}]}}."""
    for nct_id, items in data.get("sources", {}).items():
        trial = Trial.objects.filter(nct_id=nct_id).first()
        if trial is None:
            report.warnings.append(f"{nct_id} is not imported yet: its sources were skipped.")
            continue
        for order, item in enumerate(items):
            source = TrialSource.objects.filter(trial=trial, name=item["name"]).first()
            if source is None:
                source = TrialSource(trial=trial, name=item["name"], order=order)
                report.count("sources")
            fill(source, item, TrialSource.text_fields, ("url", "seen_on", "status"), report)
            try:
                source.full_clean()
            except ValidationError as error:
                raise ContentError(f"sources.yaml, {nct_id}, {item['name']}: {error}") from None
            source.save()
