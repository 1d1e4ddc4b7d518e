// Keyboard shortcuts for a 24-hour shift: N hotline call, / search, J/K move, Enter open,
// A acknowledge the alarm, Esc close, T theme, L language, ? this list. Letters do nothing
// while the cursor is in a field (Esc still closes).
const SHORTCUTS = [
  ["N", "key.n"],
  ["/", "key.slash"],
  ["J / K", "key.jk"],
  ["Enter", "key.enter"],
  ["A", "key.a"],
  ["Esc", "key.esc"],
  ["T", "key.t"],
  ["L", "key.l"],
  ["?", "key.help"],
];

/** The shortcuts for the help overlay: [key, text key]. */
export function shortcuts() {
  return SHORTCUTS;
}

/** Installs the handler; `act` maps an action name to a function. */
export function install(act) {
  document.addEventListener("keydown", (e) => {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    const typing = e.target.closest && e.target.closest("input, textarea, select");
    if (e.key === "Escape") {
      act.escape();
      if (typing) e.target.blur();
      return;
    }
    if (typing) return;
    const run = {
      n: act.hotline,
      N: act.hotline,
      "/": act.search,
      j: () => act.move(1),
      J: () => act.move(1),
      k: () => act.move(-1),
      K: () => act.move(-1),
      Enter: act.open,
      a: act.acknowledge,
      A: act.acknowledge,
      t: act.theme,
      T: act.theme,
      l: act.language,
      L: act.language,
      "?": act.help,
    }[e.key];
    if (run && !(e.key === "Enter" && e.target.closest && e.target.closest("button"))) {
      e.preventDefault();
      run();
    }
  });
}
