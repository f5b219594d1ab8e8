"""GET /api/v1/trials/<NCT ID>/sites?near=<place or lat,lon>: a trial's sites by distance.

200: {"trial", "near": {the resolved place}, "sites": [...]}, nearest first.
400: {"error": "..."} for a missing, unknown or off-the-map place; for a name
that several places share, also "candidates", each with the "near" value that
picks it.
404: no such trial.
"""

from django.http import JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from trials.geo import nearest_sites, resolve_place
from trials.models import Trial

MAX_SITES = 100


@require_GET
def trial_sites(request, nct_id):
    trial = Trial.objects.published().filter(nct_id=nct_id.upper()).first()
    if trial is None:
        return JsonResponse({"error": _("No trial has this number.")}, status=404)
    near = request.GET.get("near", "")
    if not near.strip():
        return error(
            _('Add ?near= with a place name or "latitude,longitude", for example ?near=Busan or ?near=35.18,129.08.')
        )
    if len(near) > 200:
        return error(_("The place is too long. Write at most 200 characters."))
    resolution = resolve_place(near)
    if resolution.status == "ambiguous":
        candidates = [
            {
                "name": place.name,
                "country": place.country,
                "country_code": place.country_code,
                "near": place.coordinates,
            }
            for place in resolution.candidates
        ]
        return error(resolution.problem, candidates=candidates)
    if not resolution.found:
        return error(resolution.problem)
    sites = nearest_sites(
        trial.sites.active(), latitude=resolution.latitude, longitude=resolution.longitude, limit=MAX_SITES
    )
    return JsonResponse(
        {
            "trial": trial.nct_id,
            "near": {
                "query": resolution.query,
                "name": resolution.label,
                "country_code": resolution.place.country_code if resolution.place else None,
                "latitude": round(resolution.latitude, 5),
                "longitude": round(resolution.longitude, 5),
            },
            "sites": [site_json(site) for site in sites],
        },
        json_dumps_params={"ensure_ascii": False},
    )


def site_json(site) -> dict:
    return {
        "id": site.pk,
        "name": site.facility,
        "city": site.city,
        "country": site.country,
        "status": site.status,
        "status_label": str(site.get_status_display()),
        "recruiting": site.is_recruiting,
        "distance_km": None if site.distance_km is None else round(site.distance_km, 1),
    }


def error(message: str, **extra) -> JsonResponse:
    return JsonResponse({"error": message, **extra}, status=400, json_dumps_params={"ensure_ascii": False})
