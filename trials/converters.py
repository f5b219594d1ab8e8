"""The one shape of a trial's number in a URL, so that nothing else (a NUL byte, a stray path) reaches a query."""

from django.urls import register_converter


class NctIdConverter:
    # The registry's numbers are NCT and eight digits; lower case is accepted and redirected by the trial page.
    regex = "[Nn][Cc][Tt][0-9]{8}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(NctIdConverter, "nct")
