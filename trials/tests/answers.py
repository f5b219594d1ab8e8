"""Guardian answers shared by the pre-screener's tests, as the pages and the API receive them."""

import datetime

# The day the tests live on, so ages computed from birth dates never drift.
TODAY = datetime.date(2026, 11, 21)

# A baby who fits every rule of NCT06516679 that the pre-screener checks.
LEUKEMIA_FIT = {
    "birth_date": "2026-02-10",
    "diagnosis": "all",
    "diagnosis_date": "2026-09-01",
    "disease_status": "newly_diagnosed",
    "prior_stem_cell_transplant": "no",
    "steroids_last_4_weeks": "no",
    "marrow_failure_syndrome": "no",
    "medicine_contraindication": "no",
    "other_interventional_study": "no",
    "guardian_consent": "yes",
}

# A child of 5 with stage 4 neuroblastoma on the one known route into NCT05303727.
NEUROBLASTOMA_FIT = {
    "birth_date": "2021-05-05",
    "diagnosis": "neuroblastoma",
    "neuroblastoma_stage": "stage_4_or_m",
    "induction_courses_7_or_more": "yes",
    "tumour_surgery_done": "yes",
    "complete_response_normal_markers": "yes",
}
