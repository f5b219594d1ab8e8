"""The Jinja2 environment of the form templates (settings.TEMPLATES): what it renders is HTML, already escaped.

Django's form renderer marks a widget's HTML safe itself, but crispy's `|as_crispy_field`
returns our field template's output as it comes; Markup tells the Django template that
includes it not to escape it a second time.
"""

import jinja2
from markupsafe import Markup


class EscapedTemplate(jinja2.Template):
    def render(self, *args, **kwargs) -> Markup:
        return Markup(super().render(*args, **kwargs))  # noqa: S704 (autoescaped by Jinja2 while rendering)


def environment(**options) -> jinja2.Environment:
    env = jinja2.Environment(**options)  # noqa: S701 (Django's backend turns autoescape on)
    env.template_class = EscapedTemplate
    return env
