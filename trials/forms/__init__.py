from crispy_forms.helper import FormHelper


def field_helper() -> FormHelper:
    """How crispy draws the fields of our forms (`|as_crispy_field`): with templates/jinja2/forms/field.html.

    The markup is crispy's Bootstrap 5 field; the template is Jinja2, which renders a field several times
    faster than crispy's Django template (settings.TEMPLATES). A form opts in with `helper = field_helper()`.
    """
    helper = FormHelper()
    helper.form_tag = False
    helper.field_template = "forms/field.html"
    return helper
