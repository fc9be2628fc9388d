// The contact form (contacts/form.html): email and phone rows added and
// removed in place, and the company picker's list of matches.
//
// Without this file the form still works: "Add"/"Remove" are submit buttons
// that show the form again with the row added or removed, and a typed company
// name is resolved by the server. Here the same buttons act in place, and the
// picker's options (fetched by htmx from companies:picker) can be chosen with
// the mouse or the keyboard (ArrowDown/ArrowUp, Enter, Escape).
(function () {
  "use strict";

  /* Email and phone rows --------------------------------------------------- */
  function rowsOf(set) {
    return Array.prototype.slice.call(set.querySelectorAll("[data-rows] > [data-row]"));
  }

  function renumber(set) {
    var prefix = set.getAttribute("data-prefix");
    var indexed = new RegExp(prefix + "-(\\d+|__prefix__)-", "g");
    var rows = rowsOf(set);
    rows.forEach(function (row, index) {
      row.querySelectorAll("[name], [id], [for], [aria-describedby]").forEach(function (el) {
        ["name", "id", "for", "aria-describedby"].forEach(function (attr) {
          var value = el.getAttribute(attr);
          if (value) el.setAttribute(attr, value.replace(indexed, prefix + "-" + index + "-"));
        });
      });
      row.querySelectorAll('input[type="radio"], [data-remove-row]').forEach(function (el) {
        el.value = String(index);
      });
      row.querySelectorAll("[data-num]").forEach(function (el) {
        el.textContent = String(index + 1);
      });
    });
    set.querySelector('input[name="' + prefix + '-TOTAL_FORMS"]').value = String(rows.length);
    var initial = set.querySelector('input[name="' + prefix + '-INITIAL_FORMS"]');
    if (initial && Number(initial.value) > rows.length) initial.value = String(rows.length);
    var full = rows.length >= Number(set.getAttribute("data-max"));
    set.querySelector("[data-add-row]").disabled = full;
    set.querySelector("[data-max-note]").hidden = !full;
  }

  function valueInput(row) {
    return row.querySelector(".channel-value");
  }

  function addRow(set) {
    if (rowsOf(set).length >= Number(set.getAttribute("data-max"))) return;
    var template = set.querySelector("template[data-row-template]");
    var row = template.content.querySelector("[data-row]").cloneNode(true);
    set.querySelector("[data-rows]").appendChild(row);
    renumber(set);
    if (!set.querySelector('[data-rows] input[type="radio"]:checked')) {
      rowsOf(set)[0].querySelector('input[type="radio"]').checked = true;
    }
    valueInput(row).focus();
  }

  function removeRow(set, row) {
    var rows = rowsOf(set);
    var index = rows.indexOf(row);
    if (rows.length === 1) {
      // The last row is emptied rather than removed, so there is always one to type in.
      row.querySelectorAll('input:not([type="radio"])').forEach(function (input) {
        input.value = "";
        input.removeAttribute("aria-invalid");
      });
      row.querySelectorAll(".errors").forEach(function (list) {
        list.remove();
      });
      row.classList.remove("has-error");
      valueInput(row).focus();
      return;
    }
    var wasPrimary = row.querySelector('input[type="radio"]').checked;
    row.remove();
    renumber(set);
    rows = rowsOf(set);
    if (wasPrimary) rows[0].querySelector('input[type="radio"]').checked = true;
    valueInput(rows[Math.min(index, rows.length - 1)]).focus();
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-add-row], [data-remove-row]");
    var set = button && button.closest("[data-channels]");
    if (!set) return;
    event.preventDefault();
    if (button.hasAttribute("data-add-row")) addRow(set);
    else removeRow(set, button.closest("[data-row]"));
  });

  /* Company picker ---------------------------------------------------------- */
  function parts(element) {
    var box = element.closest("[data-company-picker]");
    if (!box) return null;
    return {
      box: box,
      input: box.querySelector('[role="combobox"]'),
      list: box.querySelector('[role="listbox"]'),
      hidden: box.querySelector('input[type="hidden"][name="company"]'),
    };
  }

  function options(p) {
    return Array.prototype.slice.call(
      p.list.querySelectorAll('[role="option"]:not([aria-disabled="true"])')
    );
  }

  function setActive(p, option) {
    options(p).forEach(function (o) {
      o.setAttribute("aria-selected", o === option ? "true" : "false");
    });
    if (option) {
      p.input.setAttribute("aria-activedescendant", option.id);
      option.scrollIntoView({ block: "nearest" });
    } else {
      p.input.removeAttribute("aria-activedescendant");
    }
  }

  function setOpen(p, open) {
    p.list.hidden = !open;
    p.input.setAttribute("aria-expanded", open ? "true" : "false");
    if (!open) setActive(p, null);
  }

  // 「＋新規作成」: create the company named as typed (companies:quick_create,
  // the company form's permission and audit), then choose it.
  function createCompany(p, option) {
    if (option.getAttribute("aria-busy") === "true") return;
    var form = p.box.closest("form");
    var token = form && form.querySelector('input[name="csrfmiddlewaretoken"]');
    var body = new URLSearchParams();
    body.append("name", option.getAttribute("data-create-company"));
    option.setAttribute("aria-busy", "true");
    function fail(message) {
      option.removeAttribute("aria-busy");
      var note = document.createElement("li");
      note.className = "picker-empty";
      note.setAttribute("role", "option");
      note.setAttribute("aria-disabled", "true");
      note.setAttribute("aria-selected", "false");
      note.textContent = message || option.getAttribute("data-create-error");
      p.list.appendChild(note);
    }
    fetch(option.getAttribute("data-create-url"), {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": token ? token.value : "", Accept: "application/json" },
      body: body,
    })
      .then(function (response) {
        return response.json().then(function (data) {
          if (!response.ok) return fail(data && data.detail);
          option.removeAttribute("aria-busy");
          option.removeAttribute("data-create-company");
          option.setAttribute("data-company-id", data.id);
          option.setAttribute("data-company-name", data.name);
          choose(p, option);
        });
      })
      .catch(function () {
        fail("");
      });
  }

  function choose(p, option) {
    if (option.hasAttribute("data-create-company")) return createCompany(p, option);
    p.hidden.value = option.getAttribute("data-company-id");
    p.input.value = option.getAttribute("data-company-name");
    setOpen(p, false);
    // A choice here replaces the server's list of matches (company_pick wins there).
    p.box.querySelectorAll(".picker-choices").forEach(function (choices) {
      choices.remove();
    });
    p.input.focus();
  }

  document.addEventListener("input", function (event) {
    var p = event.target.matches && event.target.matches('[role="combobox"]') && parts(event.target);
    if (!p) return;
    p.hidden.value = ""; // the name changed: no company is chosen until one is picked again
    if (!p.input.value.trim()) {
      p.list.innerHTML = "";
      setOpen(p, false);
    }
  });

  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail.target;
    var p = target && target.matches && target.matches('[role="listbox"]') && parts(target);
    if (!p) return;
    setOpen(p, target.children.length > 0 && document.activeElement === p.input);
  });

  document.addEventListener("keydown", function (event) {
    var p = event.target.matches && event.target.matches('[role="combobox"]') && parts(event.target);
    if (!p) return;
    var all = options(p);
    var current = p.list.querySelector('[aria-selected="true"]');
    var index = all.indexOf(current);
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      if (p.list.hidden) {
        if (!p.list.children.length) return;
        setOpen(p, true);
      }
      event.preventDefault();
      if (!all.length) return;
      var step = event.key === "ArrowDown" ? 1 : -1;
      setActive(p, all[(index + step + all.length) % all.length]);
    } else if (event.key === "Enter" && !p.list.hidden && current) {
      event.preventDefault(); // choose, do not submit the form
      choose(p, current);
    } else if (event.key === "Escape" && !p.list.hidden) {
      event.preventDefault();
      event.stopPropagation();
      setOpen(p, false);
    }
  });

  // mousedown, not click: the input keeps focus, so the list is not closed first.
  document.addEventListener("mousedown", function (event) {
    var option = event.target.closest && event.target.closest('[role="option"]');
    var p = option && parts(option);
    if (!p) return;
    event.preventDefault();
    if (option.getAttribute("aria-disabled") !== "true") choose(p, option);
  });

  document.addEventListener("focusout", function (event) {
    var p = event.target.matches && event.target.matches('[role="combobox"]') && parts(event.target);
    if (p) setOpen(p, false);
  });
})();
