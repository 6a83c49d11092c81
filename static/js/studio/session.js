// What survives a reload of the studio's tab: the current input (and the chain that led to
// it) and the last generation job, so a reload during a generation keeps both and the page
// goes back to following the job. Kept in sessionStorage: one tab's work, gone with the tab.

const KEY = "chartbusters:studio";

function storage() {
  try {
    return window.sessionStorage;
  } catch {
    return null;  // storage disabled: the studio works, a reload starts afresh
  }
}

export function loadSession() {
  try {
    const saved = JSON.parse(storage()?.getItem(KEY) || "null");
    return saved && typeof saved === "object" ? saved : {};
  } catch {
    return {};
  }
}

// Merges ``changes`` into what is saved; a key set to null is forgotten.
export function saveSession(changes) {
  const next = { ...loadSession(), ...changes };
  for (const [name, value] of Object.entries(next)) if (value == null) delete next[name];
  try {
    storage()?.setItem(KEY, JSON.stringify(next));
  } catch {
    // full or disabled: nothing to restore after a reload, nothing else lost
  }
}
