"""What other parts of the site can listen for: reviewed registry changes, and newly published trials.

They are sent only after staff act (accepting a change, publishing a trial),
never by an unreviewed import, and only once the transaction has committed.
"""

from dataclasses import dataclass

from django.dispatch import Signal

# sender=Trial, trial=<Trial>, changes=[ChangeSummary, ...]
registry_changes_accepted = Signal()
# sender=Trial, trial=<Trial>
trial_published = Signal()


@dataclass(frozen=True)
class ChangeSummary:
    """One accepted change, as plain data: what changed, from what to what, and at which site."""

    kind: str  # a PendingChange.Kind value: fact, site_added, site_removed, site_status
    field: str  # for a fact: the Trial field, e.g. "overall_status", "start_date", "eligibility_text"
    old: object
    new: object
    site: str = ""  # the site's name and city, for site changes
    site_id: int | None = None  # the site itself, so listeners can name it in another language

    @classmethod
    def of(cls, change) -> "ChangeSummary":
        site = ""
        if change.site is not None:
            site = str(change.site)
        elif change.site_facts:
            site = ", ".join(
                part for part in (change.site_facts.get("facility"), change.site_facts.get("city")) if part
            )
        return cls(
            kind=change.kind,
            field=change.field,
            old=change.old_value,
            new=change.new_value,
            site=site,
            site_id=change.site_id,
        )


def announce_published(trial) -> None:
    """Tells listeners that staff have just published this trial, once the save has committed."""
    from django.db import transaction

    transaction.on_commit(lambda: trial_published.send(sender=type(trial), trial=trial))
