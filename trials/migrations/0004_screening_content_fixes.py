"""Brings a database loaded before the pre-screener's fixes in line with them.

- NCT06516679's criteria are all encoded: mark them complete. Every other trial
  stays incomplete until staff say otherwise.
- Its "newly diagnosed" rule is not a known criterion: the study team checks it
  instead, worded from the study's title. Its text changes only where staff
  have not edited the shipped text.

A fresh database gets the same from `load_content`; nothing here runs on it.
"""

from django.db import migrations

OLD_TEXT = {
    "text_en": "The leukemia is newly diagnosed. This study is for the first treatment of the illness.",
    "text_ko": "백혈병이 새로 진단된 아이. 이 연구는 병의 첫 치료를 위한 것입니다.",
    "text_zh_hans": "白血病是新诊断的。这项研究针对的是这种病的首次治疗。",
}
NEW_TEXT = {
    "text_en": (
        "The study's title says it is for newly diagnosed infant leukemia. The study team checks what this means "
        "for your baby, for example if treatment has already started."
    ),
    "text_ko": (
        "연구 제목에 따르면 새로 진단된 영아 백혈병을 위한 연구입니다. 이미 치료를 시작한 경우처럼, 우리 아기에게 "
        "어떤 뜻인지는 연구팀이 확인합니다."
    ),
    "text_zh_hans": "研究题目表明，这项研究针对的是新诊断的婴儿白血病。比如已经开始治疗的情况是否可以参加，由研究团队核实。",
}


def forwards(apps, schema_editor):
    Trial = apps.get_model("trials", "Trial")
    Criterion = apps.get_model("trials", "Criterion")
    Trial.objects.filter(nct_id="NCT06516679").update(criteria_complete=True)
    for criterion in Criterion.objects.filter(trial__nct_id="NCT06516679", key="newly_diagnosed"):
        criterion.question = None
        criterion.operator = ""
        criterion.values = []
        for name, old in OLD_TEXT.items():
            if getattr(criterion, name) == old:
                setattr(criterion, name, NEW_TEXT[name])
                if name == "text_en":
                    criterion.text = NEW_TEXT[name]
        criterion.save()


class Migration(migrations.Migration):
    dependencies = [("trials", "0003_screening_rules_and_criteria_complete")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
