/* Behaviour shared by every signed-in page. Pages carry no inline script (the Content-Security-Policy
 * refuses it); buttons say what they do with data attributes instead. */
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-print-page]");
    if (button) { window.print(); }
  });
})();
