/* Cookie banner: a modal dialog (except where it must not block reading) with keyboard and focus handling, decisions saved without a
   reload; Matomo's _pk_* cookies removed whenever statistics are not allowed.
   Without this script the banner is a plain form and works all the same. */
(function () {
  "use strict";
  var doc = document;
  var statistics = doc.currentScript && doc.currentScript.dataset.statistics === "1";
  var banner = doc.getElementById("consent-banner");

  function dropStatisticsCookies() {
    var host = location.hostname;
    var domains = ["", "; domain=" + host, "; domain=" + host.replace(/^[^.]+(?=\.[^.]+\.)/, "")];
    doc.cookie.split(";").forEach(function (pair) {
      var name = pair.split("=")[0].trim();
      if (name.indexOf("_pk_") === 0) {
        domains.forEach(function (domain) {
          doc.cookie = name + "=; Max-Age=0; path=/" + domain;
        });
      }
    });
  }

  function focusMain() {
    var main = doc.getElementById("main");
    if (main) main.focus();
  }

  if (!statistics) dropStatisticsCookies();
  if (!banner || typeof banner.showModal !== "function") return;

  var form = banner.querySelector("form");
  var choices = doc.getElementById("consent-choices");
  var settingsButton = banner.querySelector("[data-consent-settings]");
  var status = doc.getElementById("consent-status");

  settingsButton.setAttribute("aria-controls", choices.id);
  settingsButton.setAttribute("aria-expanded", "false");
  // On the pages a visitor reads to decide (policy, imprint, mail-link pages) the banner stays in
  // the page flow and never blocks it (data-modal="0").
  if (banner.dataset.modal !== "0") {
    banner.close();
    banner.showModal();
    banner.focus();
  }

  // Escape keeps the banner on the page but stops it blocking the page; no decision is made.
  banner.addEventListener("cancel", function (event) {
    event.preventDefault();
    banner.close();
    banner.show();
    focusMain();
  });

  form.addEventListener("submit", function (event) {
    var button = event.submitter;
    if (!button || form.dataset.plain) return;
    event.preventDefault();
    if (button === settingsButton) {
      var open = choices.hidden;
      choices.hidden = !open;
      button.setAttribute("aria-expanded", String(open));
      if (open) choices.querySelector("input").focus();
      return;
    }
    // form.action would be the buttons named "action"; the attribute is the URL.
    fetch(form.getAttribute("action"), {
      method: "POST",
      body: new FormData(form, button),
      headers: { Accept: "application/json" },
      credentials: "same-origin"
    })
      .then(function (response) {
        if (!response.ok) throw new Error(response.status);
        return response.json();
      })
      .then(function (result) {
        if (result.categories.indexOf("statistics") < 0) dropStatisticsCookies();
        banner.close();
        banner.remove();
        status.textContent = result.saved;
        focusMain();
      })
      .catch(function () {
        // Let the server answer in full (an error page or the redirect) instead.
        form.dataset.plain = "1";
        form.requestSubmit(button);
      });
  });
})();
