/* Measure form: choosing a catalogue item fills category, name, standard amount and risks the person left empty. */
(function () {
  "use strict";
  var select = document.querySelector('[data-prefill="catalogue"]');
  var source = document.getElementById("catalogue-prefill");
  if (!select || !source) { return; }
  var data = JSON.parse(source.textContent);
  select.addEventListener("change", function () {
    var item = data[select.value];
    if (!item) { return; }
    var form = select.form;
    if (form.elements.category && !form.elements.category.value) { form.elements.category.value = item.category; }
    if (form.elements.name && !form.elements.name.value) { form.elements.name.value = item.name; }
    if (form.elements.amount) { form.elements.amount.value = item.amount; }
    if (form.elements.runs_after_elimination) { form.elements.runs_after_elimination.checked = item.runs; }
    form.querySelectorAll('input[name="risk_types"]').forEach(function (box) {
      if (item.risks.indexOf(box.value) >= 0) { box.checked = true; }
    });
  });
})();
