/* Monitoring standards form: show only the parameters the chosen line method needs. */
(function () {
  "use strict";
  var source = document.getElementById("method-parameters");
  var method = document.getElementById("id_line_method");
  if (!source || !method) { return; }
  var needed = JSON.parse(source.textContent);
  function show() {
    var names = needed[method.value] || [];
    document.querySelectorAll("[data-param]").forEach(function (wrap) {
      wrap.hidden = names.indexOf(wrap.dataset.param) < 0;
    });
  }
  method.addEventListener("change", show);
  show();
})();
