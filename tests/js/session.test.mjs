// What the studio keeps across a reload (static/js/studio/session.js). Run: node --test tests/js
import assert from "node:assert/strict";
import { beforeEach, test } from "node:test";

import { loadSession, saveSession } from "../../static/js/studio/session.js";

class MemoryStorage {
  constructor() { this.items = new Map(); }
  getItem(key) { return this.items.has(key) ? this.items.get(key) : null; }
  setItem(key, value) { this.items.set(key, String(value)); }
}

beforeEach(() => { global.window = { sessionStorage: new MemoryStorage() }; });

test("changes merge into what is saved, and null forgets a key", () => {
  assert.deepEqual(loadSession(), {});
  saveSession({ input: "a", chain: ["Ode to Joy"] });
  saveSession({ job: "j" });
  assert.deepEqual(loadSession(), { input: "a", chain: ["Ode to Joy"], job: "j" });
  saveSession({ job: null });
  assert.deepEqual(loadSession(), { input: "a", chain: ["Ode to Joy"] });
});

test("unreadable or missing storage restores nothing and breaks nothing", () => {
  window.sessionStorage.setItem("chartbusters:studio", "{not json");
  assert.deepEqual(loadSession(), {});
  global.window = {
    get sessionStorage() { throw new Error("denied"); },
  };
  saveSession({ input: "a" });
  assert.deepEqual(loadSession(), {});
});
