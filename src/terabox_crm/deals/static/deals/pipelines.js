// Keep the keyboard where it was when htmx swaps a pipeline's card: after
// "Move up" the same stage's arrow keeps focus, so pressing Enter again moves
// it further. The forms work without this file (plain POST and redirect).
(function () {
  "use strict";
  var focusedId = null;

  document.addEventListener("htmx:beforeSwap", function (event) {
    var active = document.activeElement;
    var target = event.detail.target;
    focusedId = active && active.id && target && target.contains(active) ? active.id : null;
  });

  document.addEventListener("htmx:afterSettle", function () {
    var id = focusedId;
    focusedId = null;
    if (!id) return;
    var element = document.getElementById(id);
    if (!element) return;
    if (element.disabled) {
      // The stage reached the top or the bottom: the other arrow is next.
      element = element.parentElement.querySelector("button:not([disabled])");
      if (!element) return;
    }
    element.focus();
  });
})();
