// Drag a deal card to another column (or above another card) to move it.
// The same move is a plain form in every card's ⋯ menu, so the board also
// works with the keyboard and without JavaScript; this file only adds
// dragging, and a shade at the board's right edge while columns are hidden
// past it (#board.has-more: the last column is hinted when it does not fit).
(function () {
  "use strict";
  var dragged = null;

  function board() {
    return document.querySelector("[data-board]");
  }

  function moveUrl(dealId) {
    return board().dataset.moveUrlTemplate.replace("00000000-0000-0000-0000-000000000000", dealId);
  }

  document.addEventListener("dragstart", function (event) {
    var card = event.target.closest && event.target.closest(".board-card[draggable=true]");
    if (!card) return;
    dragged = card;
    card.classList.add("is-dragging");
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", card.dataset.deal);
  });

  document.addEventListener("dragend", function () {
    if (dragged) dragged.classList.remove("is-dragging");
    dragged = null;
    document.querySelectorAll(".board-column.is-over").forEach(function (c) {
      c.classList.remove("is-over");
    });
  });

  document.addEventListener("dragover", function (event) {
    var column = dragged && event.target.closest && event.target.closest(".board-column");
    if (!column) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "move";
    column.classList.add("is-over");
  });

  document.addEventListener("dragleave", function (event) {
    var column = event.target.closest && event.target.closest(".board-column");
    if (column && !column.contains(event.relatedTarget)) column.classList.remove("is-over");
  });

  document.addEventListener("drop", function (event) {
    var column = dragged && event.target.closest && event.target.closest(".board-column");
    if (!column) return;
    event.preventDefault();
    var above = event.target.closest(".board-card");
    var values = { stage: column.dataset.stage };
    if (above && above !== dragged) values.before = above.dataset.deal;
    window.htmx.ajax("POST", moveUrl(dragged.dataset.deal), {
      source: board(),
      target: "#board",
      swap: "innerHTML",
      values: values,
    });
  });

  function hint() {
    var scroller = board();
    var wrap = document.getElementById("board");
    if (!scroller || !wrap) return;
    var hidden = scroller.scrollLeft + scroller.clientWidth < scroller.scrollWidth - 1;
    wrap.classList.toggle("has-more", hidden);
  }

  // "scroll" does not bubble: listen in the capture phase.
  document.addEventListener(
    "scroll",
    function (event) {
      if (event.target === board()) hint();
    },
    true
  );
  window.addEventListener("resize", hint);
  document.addEventListener("htmx:afterSettle", hint);
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", hint);
  else hint();
})();
