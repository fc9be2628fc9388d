// Keep the keyboard where it was when htmx swaps a pipeline's card: after
// "Move up" in a stage's ⋯ menu the menu is open again with the same item
// focused, so pressing Enter again moves the stage further; after a form of
// the card is saved, focus goes to what opened it (the stage's ⋯, "Add a
// stage"). The forms work without this file (plain POST and redirect).
(function () {
  "use strict";
  var focusedId = null;

  document.addEventListener("htmx:beforeSwap", function (event) {
    var active = document.activeElement;
    var target = event.detail.target;
    focusedId = active && active.id && target && target.contains(active) ? active.id : null;
  });

  function opener(id) {
    // stage-<id>-save → stage-<id>-open (its ⋯); pipeline-<id>-add-submit → pipeline-<id>-add-open
    var found = /^(stage-[0-9a-f-]{36}|pipeline-[0-9a-f-]{36}-add)-/.exec(id);
    return found ? document.getElementById(found[1] + "-open") : null;
  }

  document.addEventListener("htmx:afterSettle", function () {
    var id = focusedId;
    focusedId = null;
    if (!id) return;
    var element = document.getElementById(id) || opener(id);
    if (!element) return;
    var menu = element.closest("details");
    if (menu && element.tagName !== "SUMMARY") menu.open = true;
    if (element.disabled) {
      // The stage reached the top or the bottom: the other arrow is next.
      element = element.parentElement.querySelector("button:not([disabled])");
      if (!element) return;
    }
    element.focus();
  });
})();
