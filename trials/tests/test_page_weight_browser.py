"""The trimmed Bootstrap still draws the pages: layout, buttons, form fields, error states and the
skip link keep the styles they had with the whole stylesheet (computed styles in Chromium)."""

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("live_trials")]

TRIAL = "NCT06516679"


def style(page, selector: str, *properties: str) -> dict:
    return page.eval_on_selector(
        selector, "(el, names) => Object.fromEntries(names.map(n => [n, getComputedStyle(el)[n]]))", list(properties)
    )


@pytest.mark.parametrize(("width", "container"), [(360, "360px"), (1280, "1140px")])
def test_layout_buttons_and_the_skip_link_keep_bootstrap_styles(live_server, browser, width, container):
    context = browser.new_context(viewport={"width": width, "height": 800})
    page = context.new_page()
    page.goto(f"{live_server.url}/ko/trials/{TRIAL}/")
    assert style(page, "main.container", "width", "paddingLeft") == {"width": container, "paddingLeft": "12px"}
    button = style(page, ".actions .btn-primary", "backgroundColor", "color", "borderRadius", "textDecorationLine")
    assert button == {
        "backgroundColor": "rgb(29, 92, 99)",
        "color": "rgb(255, 255, 255)",
        "borderRadius": "6px",
        "textDecorationLine": "none",
    }
    # The skip link is out of sight until the keyboard reaches it.
    assert style(page, ".skip-link", "width")["width"] == "1px"
    page.keyboard.press("Tab")
    skip = style(page, ".skip-link", "width", "outlineStyle", "outlineColor")
    assert skip["width"] != "1px" and skip["outlineStyle"] == "solid" and skip["outlineColor"] == "rgb(194, 106, 0)"
    context.close()


def test_form_fields_and_their_errors_keep_bootstrap_styles(live_server, page):
    page.goto(f"{live_server.url}/zh-hans/trials/{TRIAL}/contact/")
    page.fill("#id_email", "x")
    page.click("button[name=action][value=send]")
    field = style(page, "#id_email", "display", "width", "borderTopColor", "borderRadius")
    assert field["display"] == "block" and field["borderRadius"] == "6px"
    assert field["borderTopColor"] == "rgb(164, 35, 47)"  # .is-invalid, darkened by site.css for contrast
    box = page.eval_on_selector("#id_email", "el => el.getBoundingClientRect().width")
    parent = page.eval_on_selector("#id_email", "el => el.parentElement.getBoundingClientRect().width")
    assert box == parent  # .form-control fills its column
    feedback = style(page, "#div_id_email .invalid-feedback", "display", "color")
    assert feedback == {"display": "block", "color": "rgb(164, 35, 47)"}
    select = style(page, "#id_preferred_language", "backgroundImage", "appearance")
    assert select["appearance"] == "none" and select["backgroundImage"].startswith('url("data:image/svg+xml')
    page.focus("#id_first_name")
    assert style(page, "#id_first_name", "outlineStyle")["outlineStyle"] == "solid"
