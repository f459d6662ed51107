// Paper ballot entry: after a valid mark (0-3) move to the next item's mark, so a worker keys a
// whole ballot with the digits alone and saves with Enter. The page works without this script.
(function () {
  "use strict";
  var marks = Array.prototype.slice.call(document.querySelectorAll("input.mark"));
  marks.forEach(function (input, index) {
    input.addEventListener("input", function () {
      if (/^[0-3]$/.test(input.value) && index + 1 < marks.length) {
        marks[index + 1].focus();
        marks[index + 1].select();
      }
    });
    input.addEventListener("keydown", function (event) {
      // "+" ticks or clears this item's pledge box without leaving the keyboard row.
      if (event.key === "+") {
        var pledge = document.getElementById("p-" + input.id.slice(2));
        if (pledge) { pledge.checked = !pledge.checked; }
        event.preventDefault();
      }
    });
  });
})();
