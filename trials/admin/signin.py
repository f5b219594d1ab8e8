"""django-axes's records of sign-in attempts, for superusers: who is paused, and past sign-ins.

Registered here rather than by axes (AXES_ENABLE_ADMIN is off) to close one hole in Django's
date drill-down, which answers ?attempt_time__year=99999999999999999999 with an OverflowError
(a server error) where it answers other impossible dates with "bad filter".
"""

from axes.admin import AccessAttemptAdmin, AccessFailureLogAdmin, AccessLogAdmin
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters


class ImpossibleDatesRefused:
    def get_changelist(self, request, **kwargs):
        changelist = super().get_changelist(request, **kwargs)

        class ChangeList(changelist):
            def get_filters(self, request):
                try:
                    return super().get_filters(request)
                except OverflowError as error:
                    raise IncorrectLookupParameters(error) from error

        return ChangeList


@admin.register(AccessAttempt)
class AttemptAdmin(ImpossibleDatesRefused, AccessAttemptAdmin):
    pass


@admin.register(AccessLog)
class SignInLogAdmin(ImpossibleDatesRefused, AccessLogAdmin):
    pass


@admin.register(AccessFailureLog)
class FailureLogAdmin(ImpossibleDatesRefused, AccessFailureLogAdmin):
    pass
