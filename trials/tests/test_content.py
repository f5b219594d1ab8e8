"""The plain-language content loader: `manage.py load_content`."""

import pytest
from django.conf import settings
from django.core.management import call_command

from trials.models import FAQ, Criterion, GlossaryTerm, Site, TreatmentGroup, Trial

REQUIRED_TERMS = [
    "all",
    "alal",
    "mrd",
    "kmt2a",
    "induction",
    "consolidation",
    "maintenance",
    "stem-cell-transplant",
    "allogeneic",
    "autologous",
    "conditioning",
    "neuroblastoma",
    "stage-4-m",
    "complete-response",
]


@pytest.mark.django_db
def test_content_loads_for_both_trials(trials_data):
    for trial in Trial.objects.all():
        assert trial.plain_title_en and trial.summary_en and trial.involvement_en, trial.nct_id
        assert trial.criteria.exists(), trial.nct_id
        assert trial.faqs.exists(), trial.nct_id
    assert TreatmentGroup.objects.filter(trial__nct_id="NCT06516679").count() == 3
    assert Site.objects.get(city_en="Seoul").street


@pytest.mark.django_db
def test_glossary_covers_the_required_terms(trials_data):
    slugs = set(GlossaryTerm.objects.values_list("slug", flat=True))
    missing = [slug for slug in REQUIRED_TERMS if slug not in slugs]
    assert not missing


@pytest.mark.django_db
def test_every_published_text_has_korean_and_chinese(trials_data):
    missing = []
    for model in (Trial, Site, TreatmentGroup, FAQ, GlossaryTerm, Criterion):
        for obj in model.objects.all():
            for field in model.text_fields:
                if not obj.field_text(field, "en"):
                    continue
                for code, _name in settings.LANGUAGES:
                    if not obj.field_text(field, code):
                        missing.append(f"{model.__name__} {obj.pk} {field} [{code}]")
    assert not missing


@pytest.mark.django_db
def test_loading_again_changes_nothing_and_keeps_staff_edits(trials_data):
    faq = FAQ.objects.general().first()
    faq.answer_en = "Edited by staff."
    faq.save()
    counts = {model: model.objects.count() for model in (Trial, FAQ, GlossaryTerm, Criterion, TreatmentGroup)}
    call_command("load_content", verbosity=0)
    faq.refresh_from_db()
    assert faq.answer_en == "Edited by staff."
    assert {model: model.objects.count() for model in counts} == counts


@pytest.mark.django_db
def test_a_deleted_translation_is_filled_again_but_nothing_else(trials_data):
    trial = Trial.objects.get(nct_id="NCT05303727")
    trial.summary_ko = ""
    trial.save()
    call_command("load_content", verbosity=0)
    trial.refresh_from_db()
    assert trial.summary_ko


@pytest.mark.django_db
def test_a_second_load_fills_nothing(trials_data):
    from trials.content import content_load

    report = content_load()
    assert report.filled == 0
    assert report.created == {}


@pytest.mark.django_db
def test_a_korean_term_links_as_a_whole_word_never_as_the_end_of_another(trials_data):
    from django.utils import translation

    from trials.glossary import PageGlossary

    with translation.override("ko"):
        glossary = PageGlossary.load()
        assert "term" not in glossary.link("저위험군 아기는")
        assert 'class="term"' in PageGlossary.load().link("위험군에 따라")


@pytest.mark.django_db
def test_the_chinese_glossary_is_in_pinyin_order(client, trials_data):
    import re

    from pypinyin import lazy_pinyin

    html = client.get("/zh-hans/glossary/").content.decode().split('class="glossary"')[1].split("</dl>")[0]
    terms = re.findall(r'<dt id="[^"]+">(.*?)</dt>', html, re.S)
    plain = [re.sub(r"<[^>]+>", "", term).strip() for term in terms]
    assert len(plain) > 20
    keys = [[syllable.casefold() for syllable in lazy_pinyin(term)] for term in plain]
    assert keys == sorted(keys)
    assert keys != sorted(keys, key=lambda k: "".join(k)[::-1])  # not trivially sorted
