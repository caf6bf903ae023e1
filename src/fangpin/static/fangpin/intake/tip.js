/* Tip form: an anonymous tip hides the reporter's name and phone. */
(function () {
  "use strict";
  var box = document.getElementById("id_anonymous"), fields = document.getElementById("reporter-fields");
  if (!box || !fields) { return; }
  function toggle() { fields.hidden = box.checked; }
  box.addEventListener("change", toggle);
  toggle();
})();
