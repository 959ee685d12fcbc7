// hCaptcha's script is loaded only when the visitor first uses a form with a check (focus or
// input), never as the page loads; it carries this script's CSP nonce.
(function () {
  var me = document.currentScript;
  var src = me && me.dataset.captchaSrc;
  var widget = document.querySelector(".h-captcha");
  if (!src || !widget) { return; }
  var form = widget.closest("form");
  var loaded = false;
  function load() {
    if (loaded) { return; }
    loaded = true;
    form.removeEventListener("focusin", load);
    form.removeEventListener("input", load);
    var script = document.createElement("script");
    script.src = src;
    script.async = true;
    script.nonce = me.nonce;
    document.head.appendChild(script);
  }
  form.addEventListener("focusin", load);
  form.addEventListener("input", load);
})();
// Shows the guardian's address field only when the pupil box is ticked (without JS it is always shown).
(function () {
  var box = document.getElementById("id_is_minor");
  var field = document.getElementById("field-guardian_email");
  if (!box || !field) { return; }
  function sync() { field.hidden = !box.checked; }
  box.addEventListener("change", sync);
  sync();
})();
