"""Keyboard-only walking for the browser tests (WCAG 2.2 AA 2.1.1 Keyboard,
2.1.2 No Keyboard Trap, 2.4.7 Focus Visible, 2.4.11 Focus Not Obscured;
JIS X 8341-3): a ``Keyboard`` presses keys on a Playwright page and checks
every focus stop on the way.

At every stop the focused element must

- show a focus indicator: an outline of non-zero width or a box shadow on it
  (or, for a control styled through its wrapper's ``:focus-within``, on its
  parent or grandparent) that is not there once focus has moved on — compared
  with the same element's own computed style after the next key, so a button
  whose shadow is always there does not pass by that shadow;
- not be hidden: rendered, with a size, and at least partly on top where it
  is (not entirely under the sticky top bar or another layer);
- let focus go: the next Tab moves focus somewhere else (no trap).

Problems are collected, not raised one by one, so a failing journey names
every stop that went wrong with the trail of stops that led there.
"""

from __future__ import annotations

# Colour helpers shared by the page scripts below: WCAG relative luminance
# and contrast, and the colour a box's edge is drawn on.
_COLOURS = r"""
const rgba = c => (c.match(/[\d.]+/g) || [0, 0, 0, 0]).map(Number);
const opaque = c => !(rgba(c)[3] <= 0.5);  // rgb() has no alpha: opaque
const luminance = ([r, g, b]) => {
  const lin = v => (v /= 255) <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
  return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
};
const contrast = (a, b) => {
  const [x, y] = [luminance(rgba(a)), luminance(rgba(b))].sort((p, q) => q - p);
  return (x + 0.05) / (y + 0.05);
};
// The first opaque background from ``node`` up.
const fill = node => {
  for (; node; node = node.parentElement) {
    const colour = getComputedStyle(node).backgroundColor;
    if (opaque(colour)) return colour;
  }
  return getComputedStyle(document.documentElement).backgroundColor || "rgb(255, 255, 255)";
};
// What a ring is drawn on: outside the box (offset >= 0) or inside it.
const backdrop = el => fill(parseFloat(getComputedStyle(el).outlineOffset) >= 0 ? el.parentElement : el);
"""

# Runs in the page after each key: checks the stop just reached and the
# one just left (now unfocused), and remembers the new one on ``window``.
# A navigation resets ``window``, so a stop left by loading another page is
# compared before that (``Keyboard.tab_to`` steps back and forth on arrival).
_STOP = r"""() => {
  ${COLOURS}
  const chain = el => [el, el.parentElement, el.parentElement && el.parentElement.parentElement]
    .filter(Boolean);
  const ring = el => chain(el).map(node => {
    const s = getComputedStyle(node);
    const outline = s.outlineStyle !== "none" && parseFloat(s.outlineWidth) > 0
      ? `${s.outlineStyle} ${s.outlineWidth} ${s.outlineColor}` : "";
    const shadow = s.boxShadow !== "none" ? s.boxShadow : "";
    return {outline, shadow};
  });
  const describe = el => {
    const name = (el.getAttribute("aria-label") || el.innerText || el.value || el.name || "")
      .trim().replace(/\s+/g, " ").slice(0, 40);
    const classes = typeof el.className === "string" && el.className.trim()
      ? "." + el.className.trim().split(/\s+/).join(".") : "";
    return `${el.tagName.toLowerCase()}${el.id ? "#" + el.id : ""}${classes} “${name}”`;
  };
  const problems = [];
  const previous = window.__kbStop;
  const el = document.activeElement;
  const here = el && el !== document.body && el !== document.documentElement ? el : null;
  if (previous && previous.el !== here && previous.el.isConnected) {
    const after = ring(previous.el);
    const shown = previous.ring.some((node, i) =>
      (node.outline && node.outline !== after[i].outline) ||
      (node.shadow && node.shadow !== after[i].shadow));
    if (!shown) problems.push(`${previous.desc}: no visible focus indicator (unchanged when focused)`);
  }
  const stayed = !!previous && previous.el === here;
  if (!here) {
    window.__kbStop = null;
    return {desc: null, problems, stayed};
  }
  const desc = describe(here);
  // A skip link's target (main, tabindex=-1) takes focus only to move the
  // starting point: it is no control and keeps no indicator.
  if (here.tabIndex < 0 && here.matches("main, section, h1, h2, [role=region]")) {
    window.__kbStop = null;
    return {desc, problems, stayed};
  }
  const now = ring(here);
  if (!now.some(node => node.outline || node.shadow)) problems.push(`${desc}: no outline or box shadow when focused`);
  // The ring against what is around it: 3:1 (WCAG 1.4.11), in light and dark.
  const ringed = chain(here).find((node, i) => now[i].outline);
  if (ringed) {
    const ratio = contrast(getComputedStyle(ringed).outlineColor, backdrop(ringed));
    if (ratio < 3) problems.push(`${desc}: focus ring contrast ${ratio.toFixed(2)}:1`);
  }
  const box = here.getBoundingClientRect();
  const rendered = here.checkVisibility({opacityProperty: true, visibilityProperty: true});
  if (!rendered || box.width < 1 || box.height < 1) {
    problems.push(`${desc}: focused but hidden`);
  } else {
    // Not entirely obscured: one of five points inside it is the element (or inside it).
    const inset = (a, b) => [a + Math.min(2, b / 2), a + b / 2, a + b - Math.min(2, b / 2)];
    const [x1, xm, x2] = inset(box.left, box.width);
    const [y1, ym, y2] = inset(box.top, box.height);
    const seen = [[xm, ym], [x1, y1], [x2, y1], [x1, y2], [x2, y2]].some(([x, y]) => {
      const top = document.elementFromPoint(x, y);
      return top && (top === here || here.contains(top) || (top.control === here));
    });
    if (!seen) problems.push(`${desc}: focused but covered or off screen`);
  }
  window.__kbStop = {el: here, ring: now, desc};
  return {desc, problems, stayed};
}""".replace("${COLOURS}", _COLOURS)

# The edges of text fields, selects and chip boxes keep 3:1 against both the
# field's own fill and what is around it (WCAG 1.4.11): a field whose border
# fades into the page is a field nobody finds.
CONTROL_BORDERS = r"""() => {
  ${COLOURS}
  const fields = [...document.querySelectorAll(
    "main :is(input:not([type=checkbox], [type=radio], [type=hidden], [type=submit], [type=button])," +
    " select, textarea, .chips)")].filter(el => el.checkVisibility() && !el.matches(".chips *"));
  return fields.flatMap(el => {
    const s = getComputedStyle(el);
    if (parseFloat(s.borderTopWidth) === 0) return [];
    const around = fill(el.parentElement);
    const inside = opaque(s.backgroundColor) ? s.backgroundColor : around;
    const ratio = Math.min(contrast(s.borderTopColor, around), contrast(s.borderTopColor, inside));
    const what = `${el.tagName.toLowerCase()}${el.id ? "#" + el.id : ""}`;
    return ratio < 3 ? [`${what}: border ${ratio.toFixed(2)}:1`] : [];
  });
}""".replace("${COLOURS}", _COLOURS)


class Keyboard:
    """Keys pressed on ``page``, each focus stop checked (see the module docstring)."""

    def __init__(self, page):
        self.page = page
        self.trail: list[str] = []
        self.problems: list[str] = []
        self.stayed = False

    def _check(self) -> str | None:
        result = self.page.evaluate(_STOP)
        if result["desc"]:
            self.trail.append(result["desc"])
        self.problems += result["problems"]
        self.stayed = result["stayed"]
        return result["desc"]

    def press(self, key: str) -> str | None:
        """Press ``key`` and check the stop it leaves focus on."""
        self.page.keyboard.press(key)
        return self._check()

    def follow(self, key: str = "Enter") -> str | None:
        """Press ``key`` on a link or submit button and wait for the page it loads."""
        with self.page.expect_navigation():
            self.page.keyboard.press(key)
        return self._check()

    def type(self, text: str) -> None:
        self.page.keyboard.type(text)

    def focused(self, selector: str, index: int = 0) -> bool:
        return self.page.evaluate(
            "([s, i]) => document.activeElement === document.querySelectorAll(s)[i]",
            [selector, index],
        )

    def tab_to(
        self, selector: str, *, index: int = 0, backwards: bool = False, limit: int = 80
    ) -> None:
        """Tab (or Shift+Tab) until the ``index``-th match of ``selector`` has focus.

        Fails if it never does within ``limit`` stops, or if a Tab leaves focus
        where it was (a trap). On arrival it steps away and back once, so the
        target's own indicator is compared with its unfocused state before the
        next key (often Enter) loads another page.
        """
        self.page.locator(selector).nth(index).wait_for(state="attached")
        key, back = ("Shift+Tab", "Tab") if backwards else ("Tab", "Shift+Tab")
        kept = 0
        for _ in range(limit):
            where = self.press(key)
            if self.focused(selector, index):
                self.press(back)
                self.press(key)
                assert self.focused(selector, index), f"focus did not come back to {selector}"
                return
            # Tab walks the fields of a date or time input (year, month, day…)
            # without leaving it; anything else that keeps focus is a trap.
            kept = kept + 1 if self.stayed else 0
            if kept > (5 if self._in_segmented_input() else 0):
                raise AssertionError(f"keyboard trap at {where}; trail: {self.trail[-10:]}")
        raise AssertionError(
            f"{selector}[{index}] not reached by {key} in {limit} stops; trail: {self.trail[-15:]}"
        )

    def _in_segmented_input(self) -> bool:
        return self.page.evaluate(
            "() => document.activeElement.matches("
            "'input[type=date], input[type=datetime-local], input[type=time],"
            " input[type=month], input[type=week]')"
        )

    def choose(self, selector: str, label: str, *, limit: int = 30) -> None:
        """With a closed ``<select>`` focused, arrow down to the option ``label``."""
        select = self.page.locator(selector)
        self.page.keyboard.press("Home")
        for _ in range(limit):
            current = select.evaluate("s => s.selectedOptions[0] && s.selectedOptions[0].text")
            if current and current.strip() == label:
                return
            self.page.keyboard.press("ArrowDown")
        raise AssertionError(f"no option {label!r} in {selector}")
