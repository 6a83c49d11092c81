// Accessible tabs: role=tab buttons (aria-controls -> panel id), arrow keys, Home/End.

export function initTabs(tablist, onChange) {
  const tabs = [...tablist.querySelectorAll("[role=tab]")];
  const choose = (chosen, focus) => {
    for (const tab of tabs) {
      const selected = tab === chosen;
      tab.setAttribute("aria-selected", String(selected));
      tab.tabIndex = selected ? 0 : -1;
      document.getElementById(tab.getAttribute("aria-controls")).hidden = !selected;
    }
    if (focus) chosen.focus();
    if (onChange) onChange(chosen);
  };
  tablist.addEventListener("click", (event) => {
    const tab = event.target.closest("[role=tab]");
    if (tab) choose(tab, false);
  });
  tablist.addEventListener("keydown", (event) => {
    const at = tabs.indexOf(document.activeElement);
    const next = { ArrowRight: at + 1, ArrowLeft: at - 1, Home: 0, End: tabs.length - 1 }[event.key];
    if (next === undefined || at < 0) return;
    event.preventDefault();
    choose(tabs[(next + tabs.length) % tabs.length], true);
  });
  return { choose: (tab) => choose(tab, false) };
}
