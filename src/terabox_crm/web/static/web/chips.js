/*
 * The tag chip input (docs/ui.md, "Forms"). Progressive: the page works
 * without it — a plain multi-select of the workspace's tags and a "New
 * tags" text field (comma-separated). With it, both become one box of chips:
 *
 *   <input data-chips-new id="id_new_tags">      the new tags field (kept, hidden)
 *   <select multiple data-chips-for="id_new_tags"> the existing tags (optional)
 *
 * Typing offers matching tags (a <datalist>); Enter or a comma adds the tag —
 * an existing one is selected in the <select>, an unknown one becomes a new
 * tag (written to the new tags field, created by the server on save, as
 * without script). Each chip has a remove button; Backspace in an empty box
 * removes the last chip. No inline script or style (CSP script-src 'self').
 */
(function () {
  "use strict";

  var counter = 0;

  function norm(text) {
    return text.replace(/\s+/g, " ").trim();
  }

  function enhance(input) {
    if (input.dataset.chipsReady) return;
    input.dataset.chipsReady = "1";
    var select = document.querySelector('select[data-chips-for="' + input.id + '"]');
    var field = input.closest(".form-field");
    var selectField = select ? select.closest(".form-field") : null;
    var labelText = (selectField || field).querySelector("label");
    var removeWord = input.dataset.chipsRemove || "Remove";
    var newWord = input.dataset.chipsNewWord || "new";

    var created = input.value
      .split(",")
      .map(norm)
      .filter(function (name) {
        return name;
      });

    var box = document.createElement("div");
    box.className = "chips";
    var list = document.createElement("ul");
    list.className = "chips-list";
    list.setAttribute("role", "list");
    var text = document.createElement("input");
    text.type = "text";
    text.className = "chips-input";
    text.id = "chips-" + ++counter;
    text.autocomplete = "off";
    text.setAttribute("enterkeyhint", "enter");
    text.placeholder = input.dataset.chipsPlaceholder || "";
    var datalist = document.createElement("datalist");
    datalist.id = text.id + "-options";
    text.setAttribute("list", datalist.id);
    var help = field.querySelector(".help");
    if (help && help.id) text.setAttribute("aria-describedby", help.id);
    var status = document.createElement("span");
    status.className = "visually-hidden";
    status.setAttribute("role", "status");
    status.setAttribute("aria-live", "polite");

    function options() {
      return select ? Array.prototype.slice.call(select.options) : [];
    }

    function findOption(name) {
      var lower = name.toLowerCase();
      return options().find(function (option) {
        return norm(option.text).toLowerCase() === lower;
      });
    }

    function sync() {
      input.value = created.join(", ");
    }

    function chip(name, onRemove, isNew) {
      var item = document.createElement("li");
      item.className = "chip" + (isNew ? " is-new" : "");
      var span = document.createElement("span");
      span.textContent = name;
      item.appendChild(span);
      if (isNew) {
        var mark = document.createElement("span");
        mark.className = "chip-new";
        mark.textContent = "(" + newWord + ")";
        item.appendChild(mark);
      }
      var button = document.createElement("button");
      button.type = "button";
      button.className = "chip-remove";
      button.setAttribute("aria-label", removeWord + " " + name);
      button.textContent = "×";
      button.addEventListener("click", function () {
        onRemove();
        render();
        status.textContent = removeWord + " " + name;
        text.focus();
      });
      item.appendChild(button);
      return item;
    }

    function render() {
      list.textContent = "";
      datalist.textContent = "";
      options().forEach(function (option) {
        if (option.selected) {
          list.appendChild(
            chip(option.text, function () {
              option.selected = false;
            })
          );
        } else {
          var offered = document.createElement("option");
          offered.value = option.text;
          datalist.appendChild(offered);
        }
      });
      created.forEach(function (name) {
        list.appendChild(
          chip(
            name,
            function () {
              created = created.filter(function (other) {
                return other !== name;
              });
              sync();
            },
            true
          )
        );
      });
    }

    function add(raw) {
      var name = norm(raw.replace(/,/g, " "));
      if (!name) return;
      var option = findOption(name);
      if (option) {
        option.selected = true;
      } else if (
        !created.some(function (other) {
          return other.toLowerCase() === name.toLowerCase();
        })
      ) {
        created.push(name);
        sync();
      }
      status.textContent = name;
      render();
    }

    text.addEventListener("keydown", function (event) {
      if (event.isComposing || event.keyCode === 229) return; // IME: Enter confirms kana
      if (event.key === "Enter" || event.key === ",") {
        if (!text.value.trim()) return;
        event.preventDefault();
        add(text.value);
        text.value = "";
      } else if (event.key === "Backspace" && !text.value) {
        var chosen = options().filter(function (option) {
          return option.selected;
        });
        if (created.length) {
          created.pop();
          sync();
        } else if (chosen.length) {
          chosen[chosen.length - 1].selected = false;
        } else {
          return;
        }
        render();
      }
    });
    // A tag picked from the offered list arrives as an input event with the
    // whole name; add it at once.
    text.addEventListener("input", function (event) {
      var picked = !event.inputType || event.inputType === "insertReplacementText";
      if (picked && findOption(norm(text.value))) {
        add(text.value);
        text.value = "";
      }
    });
    text.addEventListener("blur", function () {
      if (text.value.trim()) {
        add(text.value);
        text.value = "";
      }
    });

    box.appendChild(list);
    box.appendChild(text);
    box.appendChild(datalist);
    box.appendChild(status);
    box.addEventListener("click", function (event) {
      if (event.target === box) text.focus();
    });

    // One field now: the label names the chip box; the originals hide.
    var host = selectField || field;
    if (labelText) labelText.setAttribute("for", text.id);
    var anchor = select || input;
    anchor.parentNode.insertBefore(box, anchor);
    if (select) {
      select.hidden = true;
      select.setAttribute("aria-hidden", "true");
      select.tabIndex = -1;
      if (field !== host) {
        field.hidden = true;
        if (help) host.appendChild(help);
      }
    } else {
      input.type = "hidden";
      var ownLabel = field.querySelector("label");
      if (ownLabel) ownLabel.setAttribute("for", text.id);
    }
    host.classList.add("has-chips");
    render();
  }

  function start() {
    document.querySelectorAll("input[data-chips-new]").forEach(enhance);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
