/*
 * Terabox CRM shell behaviour. No inline scripts anywhere (CSP script-src 'self');
 * everything is wired here through data attributes and classes:
 *
 *   [data-dismiss]            inside .flash-item or .toast: removes it
 *   [data-confirm="message"]  on a form or a button: asks confirm() first
 *   details.menu-wrap         closes on Escape, outside click, focus leaving;
 *                             opening one closes the others
 *   [data-nav-toggle]         opens/closes the folded top bar on small screens
 *   "toast" event             (HX-Trigger: {"toast": {"level", "message"}})
 *                             shows a toast; htmx errors show one too
 *   [data-copy="id"]          copies the text of element #id (one line per
 *                             list item) and says so in a toast
 *   [data-print]              opens the browser's print dialog
 *
 * Loaded in <head> without defer so the "js" class is set before first paint;
 * everything touching the DOM waits for DOMContentLoaded or uses delegation.
 */
(function () {
  "use strict";

  var root = document.documentElement;
  root.classList.remove("no-js");
  root.classList.add("js");

  var TOAST_LEVELS = ["success", "info", "warning", "error"];
  var AUTO_HIDE_MS = 8000;

  function closestFrom(event, selector) {
    var target = event.target;
    return target && target.closest ? target.closest(selector) : null;
  }

  /* Flash messages and toasts ----------------------------------------------- */
  function dismiss(item) {
    if (!item || item.classList.contains("is-leaving")) return;
    var hadFocus = item.contains(document.activeElement);
    item.classList.add("is-leaving");
    window.setTimeout(function () {
      var list = item.parentElement;
      item.remove();
      if (list && list.classList.contains("flash") && !list.children.length) list.remove();
      if (hadFocus) {
        var main = document.getElementById("main");
        if (main) main.focus({ preventScroll: true });
      }
    }, 200);
  }

  document.addEventListener("click", function (event) {
    var button = closestFrom(event, "[data-dismiss]");
    if (button) dismiss(button.closest(".flash-item, .toast"));
  });

  function toastRegion() {
    return document.getElementById("toasts");
  }

  function showToast(level, message) {
    var region = toastRegion();
    if (!region || !message) return;
    if (TOAST_LEVELS.indexOf(level) === -1) level = "info";
    var toast = document.createElement("div");
    toast.className = "toast toast-" + level;
    if (level === "error") toast.setAttribute("role", "alert");
    var text = document.createElement("span");
    text.className = "toast-text";
    text.textContent = String(message); // never HTML: messages may echo user input
    var close = document.createElement("button");
    close.type = "button";
    close.className = "toast-close";
    close.setAttribute("data-dismiss", "");
    close.setAttribute("aria-label", region.getAttribute("data-dismiss-label") || "×");
    close.textContent = "×";
    toast.appendChild(text);
    toast.appendChild(close);
    region.appendChild(toast);
    if (level === "success" || level === "info") {
      // Confirmations fade on their own, but not while the user is reading or
      // pointing at them; warnings and errors stay until dismissed.
      var timer = null;
      var arm = function () {
        timer = window.setTimeout(function () {
          dismiss(toast);
        }, AUTO_HIDE_MS);
      };
      var disarm = function () {
        window.clearTimeout(timer);
      };
      toast.addEventListener("mouseenter", disarm);
      toast.addEventListener("mouseleave", arm);
      toast.addEventListener("focusin", disarm);
      toast.addEventListener("focusout", arm);
      arm();
    }
  }

  document.addEventListener("toast", function (event) {
    var detail = event.detail || {};
    showToast(detail.level, detail.message);
  });

  /* Copy and print (recovery codes) ---------------------------------------- */
  function textOf(element) {
    var items = element.querySelectorAll("li");
    if (!items.length) return element.textContent.trim();
    return Array.prototype.map
      .call(items, function (item) {
        return item.textContent.trim();
      })
      .join("\n");
  }

  document.addEventListener("click", function (event) {
    var copy = closestFrom(event, "[data-copy]");
    if (copy) {
      var source = document.getElementById(copy.getAttribute("data-copy"));
      if (!source) return;
      var done = function () {
        showToast("success", copy.getAttribute("data-copied"));
      };
      var failed = function () {
        showToast("warning", copy.getAttribute("data-copy-failed"));
      };
      if (navigator.clipboard && navigator.clipboard.writeText) {
        navigator.clipboard.writeText(textOf(source)).then(done, failed);
      } else {
        failed();
      }
      return;
    }
    if (closestFrom(event, "[data-print]")) window.print();
  });

  /* Confirmation before destructive actions --------------------------------- */
  function isSubmitter(element) {
    var tag = element.tagName;
    if (!element.form) return false;
    if (tag === "BUTTON") return (element.getAttribute("type") || "submit") === "submit";
    return tag === "INPUT" && (element.type === "submit" || element.type === "image");
  }

  function confirmed(element, event) {
    var message = element.getAttribute("data-confirm");
    if (!message || window.confirm(message)) return true;
    event.preventDefault();
    event.stopImmediatePropagation();
    return false;
  }

  // Capture phase: runs before htmx's own listeners, so a cancelled confirm
  // also cancels an hx-post.
  document.addEventListener(
    "submit",
    function (event) {
      var form = event.target;
      var submitter = event.submitter;
      var source =
        (submitter && submitter.hasAttribute("data-confirm") && submitter) ||
        (form.hasAttribute && form.hasAttribute("data-confirm") && form);
      if (source) confirmed(source, event);
    },
    true
  );

  document.addEventListener(
    "click",
    function (event) {
      var element = closestFrom(event, "[data-confirm]");
      if (!element || element.tagName === "FORM" || isSubmitter(element)) return;
      confirmed(element, event);
    },
    true
  );

  /* Menus built on <details> ------------------------------------------------- */
  function openMenus() {
    return Array.prototype.slice.call(document.querySelectorAll("details.menu-wrap[open]"));
  }

  function closeMenu(menu, returnFocus) {
    menu.removeAttribute("open");
    if (returnFocus) {
      var summary = menu.querySelector("summary");
      if (summary) summary.focus();
    }
  }

  // "toggle" does not bubble: listen in the capture phase.
  document.addEventListener(
    "toggle",
    function (event) {
      var menu = event.target;
      if (!menu.matches || !menu.matches("details.menu-wrap") || !menu.open) return;
      openMenus().forEach(function (other) {
        if (other !== menu && !other.contains(menu)) closeMenu(other, false);
      });
    },
    true
  );

  document.addEventListener("click", function (event) {
    openMenus().forEach(function (menu) {
      if (!menu.contains(event.target)) closeMenu(menu, false);
    });
  });

  document.addEventListener("focusout", function (event) {
    var menu = event.target.closest && event.target.closest("details.menu-wrap[open]");
    if (!menu) return;
    var next = event.relatedTarget;
    if (next && !menu.contains(next)) closeMenu(menu, false);
  });

  /* The folded top bar on small screens -------------------------------------- */
  function setNavOpen(toggle, open) {
    var bar = toggle.closest(".topbar");
    if (!bar) return;
    bar.classList.toggle("is-open", open);
    toggle.setAttribute("aria-expanded", open ? "true" : "false");
  }

  document.addEventListener("click", function (event) {
    var toggle = closestFrom(event, "[data-nav-toggle]");
    if (toggle) {
      setNavOpen(toggle, toggle.getAttribute("aria-expanded") !== "true");
      return;
    }
    var open = document.querySelector('[data-nav-toggle][aria-expanded="true"]');
    if (open && !open.closest(".topbar").contains(event.target)) setNavOpen(open, false);
  });

  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    var menus = openMenus();
    if (menus.length) {
      var innermost = menus[menus.length - 1];
      closeMenu(innermost, innermost.contains(document.activeElement));
      return;
    }
    var toggle = document.querySelector('[data-nav-toggle][aria-expanded="true"]');
    if (toggle) {
      setNavOpen(toggle, false);
      toggle.focus();
    }
  });

  if (window.matchMedia) {
    var wide = window.matchMedia("(min-width: 64rem)");
    var onWide = function () {
      if (!wide.matches) return;
      var toggle = document.querySelector('[data-nav-toggle][aria-expanded="true"]');
      if (toggle) setNavOpen(toggle, false);
    };
    if (wide.addEventListener) wide.addEventListener("change", onWide);
  }

  /* htmx integration ----------------------------------------------------------- */
  function loginUrl() {
    return document.body ? document.body.getAttribute("data-login-url") : null;
  }

  // A request made after the session ended gets redirected to the sign-in
  // page: go there instead of swapping the sign-in form into a fragment.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var xhr = event.detail.xhr;
    var login = loginUrl();
    if (xhr && login && xhr.responseURL) {
      var path = new URL(xhr.responseURL, window.location.href).pathname;
      if (path === login) {
        event.detail.shouldSwap = false;
        window.location.assign(login + "?next=" + encodeURIComponent(window.location.pathname));
        return;
      }
    }
    // Remember whether focus was inside what is about to be replaced.
    var target = event.detail.target;
    if (target) {
      target.__tbxHadFocus =
        target.id && target.contains(document.activeElement) ? target.id : null;
    }
  });

  document.addEventListener("htmx:afterSettle", function (event) {
    var target = event.detail.target;
    var id = target && target.__tbxHadFocus;
    if (!id) return;
    var active = document.activeElement;
    if (active && active !== document.body && document.contains(active)) return;
    // The focused control was swapped away: put focus on the new content so
    // keyboard and screen-reader users keep their place.
    var replacement = document.getElementById(id);
    if (!replacement) return;
    if (!replacement.hasAttribute("tabindex")) replacement.setAttribute("tabindex", "-1");
    replacement.focus({ preventScroll: true });
  });

  function errorToast(kind) {
    var region = toastRegion();
    if (!region) return;
    showToast("error", region.getAttribute(kind));
  }

  document.addEventListener("htmx:responseError", function (event) {
    var xhr = event.detail.xhr;
    var trigger = xhr && xhr.getResponseHeader("HX-Trigger");
    if (trigger && trigger.indexOf('"toast"') !== -1) return; // the server said why
    errorToast("data-error-message");
  });

  document.addEventListener("htmx:sendError", function () {
    errorToast("data-offline-message");
  });
})();
