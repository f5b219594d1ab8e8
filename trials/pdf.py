"""HTML to PDF with WeasyPrint, for the page a guardian takes to the doctor.

Fonts come from the system (fonts-noto-cjk, installed by the Makefile) and are
embedded as subsets, so Korean and Chinese print anywhere. The renderer fetches
nothing: the stylesheet is read from static files, and only data: URLs (the QR
code) are allowed, so no text on the page can make the server fetch a URL.
WeasyPrint is imported on first use: only a PDF download needs it.
"""

from functools import cache

from django.contrib.staticfiles import finders

STYLESHEET = "css/doctor.css"


@cache
def stylesheet():
    from weasyprint import CSS

    with open(finders.find(STYLESHEET), encoding="utf-8") as css:
        return CSS(string=css.read())


def pdf_from_html(html: str) -> bytes:
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    fetcher = URLFetcher(allowed_protocols={"data"})
    return HTML(string=html, url_fetcher=fetcher).write_pdf(stylesheets=[stylesheet()])
