/*
 * The top bar's live search: suggestions under the search box as one types.
 *
 * The input is an ARIA combobox (aria-expanded, aria-controls, aria-activedescendant)
 * controlling a listbox whose options are links, grouped by kind. htmx fetches the
 * suggestions (hx-get on the input, 250 ms after typing stops, a newer request
 * replacing an older one); this file only decides when the list shows and moves
 * the highlight:
 *
 *   ArrowDown / ArrowUp   highlight the next / previous suggestion (wrapping)
 *   Enter                 open the highlighted suggestion; with none highlighted
 *                         the form submits to the full search page
 *   Escape                close the list (a second Escape clears the box)
 *   Tab, click elsewhere  close the list
 *
 * Queries shorter than data-typeahead-min characters are not sent.
 */
(function () {
  "use strict";

  function isTypeaheadInput(element) {
    return !!(element && element.matches && element.matches("[data-typeahead] [role=combobox]"));
  }

  function partsOf(input) {
    var form = input.closest("[data-typeahead]");
    return {
      form: form,
      input: input,
      list: document.getElementById(input.getAttribute("aria-controls")),
      status: form.querySelector("[data-typeahead-status]"),
      min: parseInt(input.getAttribute("data-typeahead-min") || "2", 10),
    };
  }

  function options(parts) {
    return Array.prototype.slice.call(parts.list.querySelectorAll("[role=option]"));
  }

  function tooShort(parts) {
    return parts.input.value.trim().length < parts.min;
  }

  function activeIndex(parts) {
    return options(parts).findIndex(function (option) {
      return option.getAttribute("aria-selected") === "true";
    });
  }

  function highlight(parts, index) {
    var all = options(parts);
    all.forEach(function (option, i) {
      var on = i === index;
      option.setAttribute("aria-selected", on ? "true" : "false");
      option.classList.toggle("is-active", on);
    });
    if (index >= 0 && all[index]) {
      parts.input.setAttribute("aria-activedescendant", all[index].id);
      all[index].scrollIntoView({ block: "nearest" });
    } else {
      parts.input.removeAttribute("aria-activedescendant");
    }
  }

  function isOpen(parts) {
    return !parts.list.hidden;
  }

  function open(parts) {
    if (!options(parts).length || tooShort(parts)) return close(parts);
    parts.list.hidden = false;
    parts.input.setAttribute("aria-expanded", "true");
  }

  function close(parts) {
    highlight(parts, -1);
    parts.list.hidden = true;
    parts.input.setAttribute("aria-expanded", "false");
  }

  function clear(parts) {
    close(parts);
    parts.list.replaceChildren();
    if (parts.status) parts.status.textContent = "";
  }

  // Too short: send nothing and drop what the list showed for a longer text.
  document.addEventListener("htmx:beforeRequest", function (event) {
    if (!isTypeaheadInput(event.detail.elt)) return;
    var parts = partsOf(event.detail.elt);
    if (tooShort(parts)) {
      event.preventDefault();
      clear(parts);
    }
  });

  document.addEventListener("htmx:beforeSwap", function (event) {
    if (!isTypeaheadInput(event.detail.requestConfig && event.detail.requestConfig.elt)) return;
    // An answer that arrives after the box was emptied is stale.
    if (tooShort(partsOf(event.detail.requestConfig.elt))) event.detail.shouldSwap = false;
  });

  document.addEventListener("htmx:afterSwap", function (event) {
    var list = event.detail.target;
    var input = list && list.id && document.querySelector('[aria-controls="' + list.id + '"]');
    if (!isTypeaheadInput(input)) return;
    var parts = partsOf(input);
    var count = list.querySelector("[data-typeahead-count]");
    if (parts.status) parts.status.textContent = count ? count.textContent : "";
    highlight(parts, -1);
    if (document.activeElement === input) open(parts);
    else close(parts);
  });

  document.addEventListener("input", function (event) {
    if (isTypeaheadInput(event.target) && tooShort(partsOf(event.target))) clear(partsOf(event.target));
  });

  document.addEventListener("keydown", function (event) {
    if (!isTypeaheadInput(event.target) || event.isComposing) return; // IME conversion owns the keys
    var parts = partsOf(event.target);
    var all = options(parts);
    var index = activeIndex(parts);
    switch (event.key) {
      case "ArrowDown":
      case "ArrowUp":
        if (!all.length) return;
        event.preventDefault();
        if (!isOpen(parts)) {
          open(parts);
          highlight(parts, event.key === "ArrowDown" ? 0 : all.length - 1);
          return;
        }
        if (event.key === "ArrowDown") highlight(parts, index + 1 >= all.length ? 0 : index + 1);
        else highlight(parts, index <= 0 ? all.length - 1 : index - 1);
        return;
      case "Enter":
        if (isOpen(parts) && index >= 0) {
          event.preventDefault();
          window.location.assign(all[index].href);
        }
        return; // otherwise the form goes to the full search page
      case "Escape":
        if (isOpen(parts)) {
          event.preventDefault();
          event.stopPropagation();
          close(parts);
        } else if (parts.input.value) {
          event.preventDefault();
          event.stopPropagation();
          parts.input.value = "";
          clear(parts);
        }
        return;
      case "Tab":
        close(parts);
        return;
      default:
        return;
    }
  });

  document.addEventListener("focusin", function (event) {
    if (isTypeaheadInput(event.target)) open(partsOf(event.target));
  });

  document.addEventListener("focusout", function (event) {
    if (!isTypeaheadInput(event.target)) return;
    var parts = partsOf(event.target);
    if (!parts.form.contains(event.relatedTarget)) close(parts);
  });

  // Keep focus in the box while a suggestion is clicked (the click still
  // follows the link), and follow the pointer with the highlight.
  document.addEventListener("mousedown", function (event) {
    var option = event.target.closest && event.target.closest("[data-typeahead] [role=option]");
    if (option) event.preventDefault();
  });

  document.addEventListener("mousemove", function (event) {
    var option = event.target.closest && event.target.closest("[data-typeahead] [role=option]");
    if (!option || option.getAttribute("aria-selected") === "true") return;
    var input = option.closest("[data-typeahead]").querySelector("[role=combobox]");
    var parts = partsOf(input);
    highlight(parts, options(parts).indexOf(option));
  });
})();
