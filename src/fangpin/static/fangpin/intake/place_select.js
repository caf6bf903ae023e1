/* The township narrows the village list; without scripts the village list (grouped by township) works alone. */
(function () {
  "use strict";
  var township = document.getElementById("id_township"), village = document.getElementById("id_village");
  if (!township || !village) { return; }
  var groups = Array.prototype.slice.call(village.querySelectorAll("optgroup"));
  var byLabel = {};
  Array.prototype.forEach.call(township.options, function (o) { if (o.value) { byLabel[o.text] = o.value; } });
  groups.forEach(function (g) { g.dataset.township = byLabel[g.label] || ""; });
  function narrow(keep) {
    var chosen = township.value;
    groups.forEach(function (g) {
      var show = !chosen || g.dataset.township === chosen;
      g.hidden = !show; g.disabled = !show;
    });
    var selected = village.selectedOptions[0];
    if (!keep && selected && selected.value && selected.parentNode.disabled) { village.value = ""; }
  }
  township.addEventListener("change", function () { narrow(false); });
  village.addEventListener("change", function () {
    var g = village.selectedOptions[0] && village.selectedOptions[0].parentNode;
    if (g && g.dataset && g.dataset.township && township.value !== g.dataset.township) {
      township.value = g.dataset.township; narrow(true);
    }
  });
  narrow(true);
})();
