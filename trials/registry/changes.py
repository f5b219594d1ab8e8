"""Stores registry records: new trials as drafts, and every difference on a published trial
as a pending change that staff accept or reject.

Only registry facts are written: the plain-language content that staff keep is
never touched. Every record is read and checked before this runs, and all
writes happen in one transaction, so a bad run leaves the database as it was.
"""

from dataclasses import asdict, dataclass, field
from datetime import date

from django.db import transaction
from django.utils import timezone, translation
from reversion import create_revision, set_comment, set_user

from trials import geo, signals
from trials.models import PendingChange, Site, Trial
from trials.registry.records import SiteFacts, TrialFacts, registry_age_to_months

# The facts a sync compares (PendingChange.FACTS); the others follow them when a change is accepted.
COMPARED = tuple(PendingChange.FACTS)
DERIVED = {"minimum_age": "min_age_months", "maximum_age": "max_age_months"}


@dataclass
class ImportReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    published: list[str] = field(default_factory=list)
    pending: dict[str, int] = field(default_factory=dict)
    sites_created: int = 0
    sites_updated: int = 0
    sites_unlisted: int = 0
    sites_placed: int = 0


def provenance(record: TrialFacts, *, compiled_on: date | None) -> dict:
    """Where the facts came from and when, as the page will say it. Only real dates:
    the day of a live fetch, the registry's own data version in a downloaded file,
    or the day our team compiled a file from public copies of the record."""
    empty = {"facts_fetched_on": None, "facts_compiled_on": None, "registry_source": record.source[:200]}
    if record.fetched:
        return {**empty, "facts_source": Trial.FactsSource.REGISTRY, "facts_fetched_on": timezone.localdate()}
    if compiled_on is not None:
        return {**empty, "facts_source": Trial.FactsSource.COMPILED, "facts_compiled_on": compiled_on}
    if record.values.get("last_update_posted"):
        return {**empty, "facts_source": Trial.FactsSource.REGISTRY_FILE, "facts_fetched_on": record.version_date}
    return {**empty, "facts_source": Trial.FactsSource.FILE}


def site_key(facts) -> tuple[str, str, str, str, str]:
    """A site's identity: facility, city, state, postal code and country together, not its name alone."""
    return tuple(
        " ".join((getattr(facts, name + "_en", None) or getattr(facts, name, "") or "").split()).casefold()
        for name in ("facility", "city", "state", "zip", "country")
    )


def site_values(facts: SiteFacts) -> dict:
    """The registry's facts for a site, placed on the map from its city when the record gives no point."""
    values = {
        "facility_en": facts.facility,
        "city_en": facts.city,
        "state_en": facts.state,
        "zip": facts.zip,
        "country_en": facts.country,
        "status": facts.status,
        "latitude": facts.latitude,
        "longitude": facts.longitude,
        "location_approximate": False,
    }
    if facts.latitude is None or facts.longitude is None:
        place = geo.place_of(city=facts.city, state=facts.state, country=facts.country)
        if place is not None:
            values.update(latitude=place.latitude, longitude=place.longitude, location_approximate=True)
    return values


def trials_import(*, records: list[TrialFacts], compiled_on: date | None = None, publish: bool = False) -> ImportReport:
    """Creates or updates trials and their registry sites, in one transaction.

    A new trial is a draft, hidden from parents until staff publish it (or
    `publish`, for scripted set-ups). A draft takes the record's facts at once.
    A published trial's differences become pending changes: nothing a parent
    sees changes until staff accept them. Importing the same records again
    changes nothing.
    """
    report = ImportReport()
    with transaction.atomic(), translation.override("en"):
        for record in records:
            trial = Trial.objects.filter(nct_id=record.nct_id).first()
            if trial is not None and trial.is_published:
                found = changes_record(trial=trial, record=record, compiled_on=compiled_on)
                report.pending[trial.nct_id] = found
                continue
            trial, created = trial_write(trial=trial, record=record, compiled_on=compiled_on)
            (report.created if created else report.updated).append(record.nct_id)
            # Contacts in a file our own team compiled are ours, not the registry's suggestions.
            sites_write(trial=trial, sites=record.sites, report=report, own_contacts=compiled_on is not None)
            if publish and not trial.is_published:
                trial.is_published = True
                trial.save(update_fields=["is_published"])
                report.published.append(trial.nct_id)
                signals.announce_published(trial)
    return report


def trial_write(*, trial: Trial | None, record: TrialFacts, compiled_on: date | None) -> tuple[Trial, bool]:
    values = dict(record.values)
    # The registry names the sponsor in English; staff keep the other languages.
    values["sponsor_en"] = values.pop("sponsor")
    values.update(provenance(record, compiled_on=compiled_on))
    created = trial is None
    if created:
        trial = Trial(nct_id=record.nct_id)
    for name, value in values.items():
        setattr(trial, name, value)
    trial.save()
    return trial, created


def sites_write(*, trial: Trial, sites: list[SiteFacts], report: ImportReport, own_contacts: bool = False) -> None:
    """Creates or updates the record's sites; a registry site the record no longer lists is hidden, and
    comes back when the record lists it again."""
    existing = {site_key(site): site for site in trial.sites.all()}
    seen = set()
    for facts in sites:
        key = site_key(facts)
        if key in seen:
            continue  # the same place listed twice in one record
        seen.add(key)
        site = existing.get(key)
        if site is None:
            site = Site(trial=trial)
            report.sites_created += 1
        else:
            report.sites_updated += 1
        site_fill(site, facts, verified=own_contacts)
        report.sites_placed += site.location_approximate
        site.save()
    for key, site in existing.items():
        if site.from_registry and site.listed and key not in seen:
            site.listed = False
            site.save(update_fields=["listed"])
            report.sites_unlisted += 1


# ---------------------------------------------------------------------------
# Keeping a published trial in step: differences wait for staff


def comparable(value):
    return value if value not in (None, "") else ""


def changes_record(*, trial: Trial, record: TrialFacts, compiled_on: date | None = None) -> int:
    """Records each difference between the record and the published trial as a pending change.

    A difference already waiting, or one staff rejected before, is not raised again.
    When nothing differs, the trial's provenance moves to this record: the page's
    facts are now confirmed by it. Returns the number of new pending changes.
    """
    found = []
    for name in COMPARED:
        old, new = comparable(getattr(trial, name)), comparable(record.values.get(name))
        if old != new:
            found.append({"kind": PendingChange.Kind.FACT, "field": name, "old_value": old, "new_value": new})
    current = {site_key(site): site for site in trial.sites.filter(from_registry=True)}
    listed = {}
    for facts in record.sites:
        listed.setdefault(site_key(facts), facts)
    for key, facts in listed.items():
        site = current.get(key)
        if site is None or not site.listed:
            found.append(
                {
                    "kind": PendingChange.Kind.SITE_ADDED,
                    "site": site,
                    "site_facts": asdict(facts),
                    "new_value": facts.status,
                }
            )
        elif site.status != facts.status:
            found.append(
                {
                    "kind": PendingChange.Kind.SITE_STATUS,
                    "site": site,
                    "old_value": site.status,
                    "new_value": facts.status,
                }
            )
    for key, site in current.items():
        if site.listed and key not in listed:
            found.append({"kind": PendingChange.Kind.SITE_REMOVED, "site": site, "old_value": site.status})

    provenance_now = provenance(record, compiled_on=compiled_on)
    known = set(trial.pending_changes.exclude(state=PendingChange.State.ACCEPTED).values_list("fingerprint", flat=True))
    created = 0
    for change in found:
        key = (
            site_key(change["site"] or SiteFacts(**change["site_facts"]))
            if "site_facts" in change or change.get("site")
            else ()
        )
        fingerprint = PendingChange.fingerprint_of(
            kind=change["kind"], field=change.get("field", ""), site_key=key, new_value=change.get("new_value")
        )
        if fingerprint in known:
            continue
        PendingChange.objects.create(
            trial=trial,
            fingerprint=fingerprint,
            source=record.source[:200],
            record_updated=record.values.get("last_update_posted", ""),
            fetched_on=provenance_now.get("facts_fetched_on"),
            **change,
        )
        known.add(fingerprint)
        created += 1
    if not trial.pending_changes.pending().exists():
        provenance_move(
            trial=trial, values={**provenance_now, "last_update_posted": record.values.get("last_update_posted", "")}
        )
    return created


def provenance_move(*, trial: Trial, values: dict) -> None:
    changed = [name for name, value in values.items() if getattr(trial, name) != value]
    for name in changed:
        setattr(trial, name, values[name])
    if changed:
        trial.save(update_fields=changed)


def change_accept(*, change: PendingChange, user) -> None:
    """Applies one pending change in one transaction, keeps it in the history, and tells followers."""
    changes_decide(changes=[change], user=user, accept=True)


def change_reject(*, change: PendingChange, user) -> None:
    changes_decide(changes=[change], user=user, accept=False)


def changes_decide(*, changes: list[PendingChange], user, accept: bool) -> int:
    """Accepts or rejects pending changes. Accepted ones are applied together, with one revision per trial."""
    decided = 0
    by_trial: dict[int, list[PendingChange]] = {}
    with transaction.atomic(), translation.override("en"):
        for change in changes:
            change = PendingChange.objects.select_for_update().get(pk=change.pk)
            if change.state != PendingChange.State.PENDING:
                continue
            change.state = PendingChange.State.ACCEPTED if accept else PendingChange.State.REJECTED
            change.decided_by = user
            change.decided_at = timezone.now()
            change.save(update_fields=["state", "decided_by", "decided_at"])
            by_trial.setdefault(change.trial_id, []).append(change)
            decided += 1
        for trial_changes in by_trial.values():
            trial = Trial.objects.get(pk=trial_changes[0].trial_id)
            if accept:
                with create_revision():
                    set_user(user)
                    set_comment(", ".join(str(change) for change in trial_changes))
                    for change in trial_changes:
                        change_apply(trial=trial, change=change)
                    trial.save()
                summaries = [signals.ChangeSummary.of(change) for change in trial_changes]
                transaction.on_commit(
                    lambda trial=trial, summaries=summaries: signals.registry_changes_accepted.send(
                        sender=Trial, trial=trial, changes=summaries
                    )
                )
            latest = trial_changes[-1]
            if not trial.pending_changes.pending().exists():
                # Every difference in the record is decided: the page's facts now follow from it.
                provenance_move(
                    trial=trial,
                    values={
                        "last_update_posted": latest.record_updated or trial.last_update_posted,
                        "registry_source": latest.source or trial.registry_source,
                        **(
                            {"facts_source": Trial.FactsSource.REGISTRY, "facts_fetched_on": latest.fetched_on}
                            if latest.fetched_on
                            else {}
                        ),
                    },
                )
    return decided


def site_fill(site: Site, facts: SiteFacts, *, verified: bool) -> None:
    """A site as the registry lists it. A registry address fills only an empty one, and is a suggestion
    until staff confirm it in the admin (`verified` only for our own shipped records)."""
    for name, value in site_values(facts).items():
        setattr(site, name, value)
    site.from_registry = True
    site.listed = True
    if facts.email and not site.team_email:
        site.team_email, site.team_email_verified = facts.email, verified


def change_apply(*, trial: Trial, change: PendingChange) -> None:
    if change.kind == PendingChange.Kind.FACT:
        setattr(trial, change.field, change.new_value)
        if change.field in DERIVED:
            upper = change.field == "maximum_age"
            setattr(trial, DERIVED[change.field], registry_age_to_months(change.new_value, upper=upper))
        return
    if change.kind == PendingChange.Kind.SITE_ADDED:
        facts = SiteFacts(**change.site_facts)
        site = change.site or Site(trial=trial)
        site_fill(site, facts, verified=False)
        site.save()
        if change.site is None:
            change.site = site
            change.save(update_fields=["site"])
        return
    if change.kind == PendingChange.Kind.SITE_REMOVED:
        change.site.listed = False
        change.site.save(update_fields=["listed"])
        return
    if change.kind == PendingChange.Kind.SITE_STATUS:
        change.site.status = change.new_value
        change.site.save(update_fields=["status"])
