/*
 * The record lists' behaviour (docs/ui.md "Lists"). No inline scripts (CSP
 * script-src 'self'); everything works without it too:
 *
 *   [data-select-all]      checks or clears every row checkbox of the bulk form
 *   [data-bulk-count]      says how many rows are chosen
 *   [data-bulk-action]     shows only the value select its action needs
 *   [data-bulk-submit]     asks before a delete; refuses more than 1,000 rows
 *   [data-list-filters]    folded behind 「絞り込み」 at phone width
 */
(function () {
  "use strict";

  var LIMIT = 1000;
  var PHONE = "(max-width: 40rem)";

  function rows(form) {
    return document.querySelectorAll('input[type="checkbox"][name="ids"][form="' + form.id + '"]');
  }

  function chosen(form) {
    var n = 0;
    rows(form).forEach(function (box) { if (box.checked) n += 1; });
    return n;
  }

  function updateCount(form) {
    var label = form.querySelector("[data-bulk-count]");
    if (!label) return;
    var n = chosen(form);
    if (!label.dataset.initial) label.dataset.initial = label.textContent;
    if (n === 0) label.textContent = label.dataset.initial;
    else if (n === 1) label.textContent = label.dataset.templateOne;
    else label.textContent = label.dataset.templateMany.replace("{n}", n.toLocaleString());
    form.classList.toggle("has-selection", n > 0);
  }

  function showValue(form) {
    var action = form.querySelector("[data-bulk-action]");
    if (!action) return;
    form.querySelectorAll("[data-bulk-value]").forEach(function (select) {
      var on = select.dataset.bulkValue === action.value;
      select.hidden = !on;
      select.disabled = !on;
    });
  }

  function bulkForm() {
    return document.querySelector("[data-bulk-form]");
  }

  document.addEventListener("change", function (event) {
    var target = event.target;
    var form = bulkForm();
    if (!form || !target) return;
    if (target.matches("[data-select-all]")) {
      rows(form).forEach(function (box) { box.checked = target.checked; });
      updateCount(form);
    } else if (target.matches('input[name="ids"]')) {
      updateCount(form);
    } else if (target.matches("[data-bulk-action]")) {
      showValue(form);
    }
  });

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches || !form.matches("[data-bulk-form]")) return;
    var n = chosen(form);
    var action = form.querySelector("[data-bulk-action]");
    var option = action && action.options[action.selectedIndex];
    if (n > LIMIT) {
      event.preventDefault();
      return;
    }
    if (option && option.hasAttribute("data-danger")) {
      var button = form.querySelector("[data-bulk-submit]");
      if (!window.confirm(button.dataset.confirmDelete)) event.preventDefault();
    }
  });

  function ready() {
    var form = bulkForm();
    if (form) {
      showValue(form);
      updateCount(form);
    }
    var filters = document.querySelector("[data-list-filters]");
    if (filters && window.matchMedia && window.matchMedia(PHONE).matches) {
      filters.removeAttribute("open");
    }
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", ready);
  else ready();
})();
