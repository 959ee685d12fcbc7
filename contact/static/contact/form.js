// Shows the guardian's address field only when the pupil box is ticked (without JS it is always shown).
(function () {
  var box = document.getElementById("id_is_minor");
  var field = document.getElementById("field-guardian_email");
  if (!box || !field) { return; }
  function sync() { field.hidden = !box.checked; }
  box.addEventListener("change", sync);
  sync();
})();
