// The contact page works without this file. With it:
// - "Use my device's location" asks the browser (only after the guardian
//   presses it), writes "lat,lon" rounded to about 1 km into "Your location"
//   and finds the sites; the server names the nearest town instead;
// - after an error, focus moves to the summary at the top (without this file,
//   its autofocus attribute does the same);
// - choosing another site renames the team in the consent sentence.
(function () {
  "use strict";

  var form = document.querySelector(".contact-form");
  if (!form) {
    return;
  }

  var locateButton = document.getElementById("use-device-location");
  var findButton = document.getElementById("find-sites");
  var locationInput = document.getElementById("id_location");
  var status = document.getElementById("geo-status");

  if (locateButton && findButton && locationInput && "geolocation" in navigator) {
    locateButton.classList.remove("d-none");
    locateButton.addEventListener("click", function () {
      status.textContent = locateButton.dataset.working;
      locateButton.disabled = true;
      navigator.geolocation.getCurrentPosition(
        function (position) {
          locationInput.value =
            position.coords.latitude.toFixed(2) + "," + position.coords.longitude.toFixed(2);
          findButton.click();
        },
        function () {
          status.textContent = locateButton.dataset.denied;
          locateButton.disabled = false;
          locationInput.focus();
        },
        { enableHighAccuracy: false, timeout: 15000, maximumAge: 600000 }
      );
    });
  }

  var summary = document.getElementById("error-summary") || document.getElementById("contact-blocked");
  if (summary) {
    summary.focus();
  }

  var consentBox = form.querySelector(".consent");
  var consentInput = document.getElementById("id_consent");
  var consentSite = document.getElementById("id_consent_site");
  var consentLabel = consentInput && form.querySelector('label[for="id_consent"]');

  function showConsentFor(radio) {
    if (!consentBox || !consentLabel || !radio) {
      return;
    }
    var sentence = consentBox.dataset.consentTemplate.replace("__SITE__", radio.dataset.siteName);
    // The label may hold a required-field marker; replace only its first text.
    var textNode = Array.prototype.find.call(consentLabel.childNodes, function (node) {
      return node.nodeType === Node.TEXT_NODE && node.textContent.trim() !== "";
    });
    if (textNode) {
      textNode.textContent = sentence;
    } else {
      consentLabel.textContent = sentence;
    }
    if (consentSite.value !== radio.value) {
      consentSite.value = radio.value;
      consentInput.checked = false;
    }
  }

  form.querySelectorAll('input[name="site"]').forEach(function (radio) {
    radio.addEventListener("change", function () {
      showConsentFor(radio);
    });
  });
  showConsentFor(form.querySelector('input[name="site"]:checked'));
})();
