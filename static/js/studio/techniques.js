// One panel per technique, built from the techniques JSON (generation.registry's to_json):
// every parameter with its range, default and one-sentence help; the GAN's style chooser.
//
// Parameter keys read: name, label, type (or kind), default, help, min, max, step?, unit?,
// choices (strings, or {value, label, description}); a technique may carry `styles`
// ([{name, title, description, instruments}]) that describe its `style` choices.

let uid = 0;

function element(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) {
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else node.setAttribute(key, value);
  }
  node.append(...children);
  return node;
}

function number(value) {
  return Number.isInteger(value) ? String(value) : String(Number(value.toFixed(4)));
}

export function choicesOf(param, technique) {
  const styles = param.name === "style" && Array.isArray(technique.styles) ? technique.styles : [];
  return (param.choices || []).map((choice) => {
    if (typeof choice === "object") return { value: choice.value, label: choice.label || choice.value, description: choice.description || "" };
    const style = styles.find((s) => s.name === choice);
    if (!style) return { value: choice, label: choice, description: "" };
    const instruments = (style.instruments || []).map((i) => i.name).join(", ");
    return { value: choice, label: style.title, description: `${style.description}${instruments ? ` Voices: ${instruments}.` : ""}` };
  });
}

function stepOf(param, kind) {
  if (param.step) return param.step;
  if (kind === "int") return 1;
  return param.max - param.min <= 2 ? 0.01 : 0.1;
}

function rangeText(param, kind) {
  const unit = param.unit ? ` ${param.unit}` : "";
  if (kind === "int" || kind === "float") {
    return `Range ${number(param.min)}–${number(param.max)}${unit} · default ${number(param.default)}${unit}`;
  }
  if (kind === "bool") return `Default ${param.default ? "on" : "off"}`;
  return `Default ${param.default}`;
}

function numericControl(param, kind, id, describedBy) {
  const slider = element("input", { type: "range", min: param.min, max: param.max, step: stepOf(param, kind),
    "aria-hidden": "true", tabindex: "-1", class: "param-slider" });
  const input = element("input", { type: "number", id, name: param.name, min: param.min, max: param.max,
    step: stepOf(param, kind), "aria-describedby": describedBy, inputmode: kind === "int" ? "numeric" : "decimal",
    class: "param-number", required: "" });
  slider.addEventListener("input", () => { input.value = slider.value; });
  input.addEventListener("input", () => { slider.value = input.value; });
  const control = element("div", { class: "param-numeric" }, slider, input);
  control.setValue = (value) => { input.value = String(value); slider.value = String(value); };
  control.getValue = () => (kind === "int" ? parseInt(input.value, 10) : parseFloat(input.value));
  control.setRange = (min, max, step) => {
    for (const node of [slider, input]) { node.min = min; node.max = max; node.step = step; }
  };
  control.focusTarget = input;
  return control;
}

function choiceControl(param, technique, id, describedBy) {
  const choices = choicesOf(param, technique);
  if (!choices.some((c) => c.description)) {
    const select = element("select", { id, name: param.name, "aria-describedby": describedBy });
    for (const choice of choices) select.append(new Option(choice.label, choice.value));
    select.setValue = (value) => { select.value = value; };
    select.getValue = () => select.value;
    select.focusTarget = select;
    return select;
  }
  // Choices with descriptions (GAN styles) are cards: a radio group with the words visible.
  const group = element("div", { class: "choice-cards", role: "radiogroup", id, "aria-describedby": describedBy });
  for (const choice of choices) {
    const radio = element("input", { type: "radio", name: `${param.name}-${id}`, value: choice.value });
    const card = element("label", { class: "choice-card" }, radio,
      element("span", { class: "choice-title", text: choice.label }),
      element("span", { class: "choice-description", text: choice.description }));
    group.append(card);
  }
  group.setValue = (value) => { for (const r of group.querySelectorAll("input")) r.checked = r.value === value; };
  group.getValue = () => group.querySelector("input:checked")?.value;
  group.focusTarget = group.querySelector("input");
  return group;
}

function paramField(param, technique) {
  const kind = param.kind || param.type;
  uid += 1;
  const id = `param-${technique.name}-${param.name}-${uid}`;
  const helpId = `${id}-help`;
  const label = param.label || param.name;
  let control;
  if (kind === "int" || kind === "float") control = numericControl(param, kind, id, helpId);
  else if (kind === "choice") control = choiceControl(param, technique, id, helpId);
  else {
    control = element("input", { type: "checkbox", id, name: param.name, "aria-describedby": helpId });
    control.setValue = (value) => { control.checked = Boolean(value); };
    control.getValue = () => control.checked;
    control.focusTarget = control;
  }
  const heading = kind === "choice" && control.getAttribute("role") === "radiogroup"
    ? element("span", { class: "param-label", id: `${id}-label`, text: label })
    : element("label", { class: "param-label", for: id, text: label });
  if (heading.tagName === "SPAN") control.setAttribute("aria-labelledby", `${id}-label`);
  const help = element("p", { class: "param-help", id: helpId },
    element("span", { text: param.help || "" }), " ", element("span", { class: "param-range", text: rangeText(param, kind) }));
  const error = element("p", { class: "param-error error", role: "alert", hidden: "" });
  const field = element("div", { class: "param", "data-param": param.name }, heading, control, help, error);
  control.setValue(param.default);
  return { param, kind, field, control, error };
}

// Top-k's threshold is a whole number k (1-100); nucleus's is a probability p (0-1]. The
// spec states one 0-100 range and a rule, so the panel narrows the control to the rule.
function linkSamplingThreshold(fields) {
  const technique = fields.get("sampling_technique");
  const threshold = fields.get("sampling_threshold");
  if (!technique || !threshold) return;
  const apply = () => {
    const nucleus = technique.control.getValue() === "nucleus";
    const [min, max, step, fallback] = nucleus ? [0.01, 1, 0.01, 0.9] : [1, 100, 1, threshold.param.default];
    threshold.control.setRange(min, max, step);
    const value = threshold.control.getValue();
    if (!(value >= min && value <= max) || (!nucleus && !Number.isInteger(value))) threshold.control.setValue(fallback);
    threshold.field.querySelector(".param-range").textContent = nucleus
      ? "With nucleus: p between 0.01 and 1 · suggested 0.9"
      : `With top-k: k between 1 and 100 · default ${threshold.param.default}`;
  };
  technique.control.addEventListener("change", apply);
  apply();
}

export class TechniquePanels {
  constructor(root, techniques) {
    this.root = root;
    this.techniques = techniques;
    this.fields = new Map();
    this.build();
  }

  build() {
    const tabs = element("div", { class: "tabs technique-tabs", role: "tablist", "aria-label": "Techniques" });
    const panels = element("div", { class: "technique-panels" });
    this.techniques.forEach((technique, index) => {
      const tab = element("button", { type: "button", role: "tab", id: `tab-${technique.name}`,
        "aria-controls": `panel-${technique.name}`, "aria-selected": String(index === 0),
        tabindex: index === 0 ? "0" : "-1", "data-technique": technique.name, text: technique.title });
      tabs.append(tab);
      panels.append(this.panel(technique, index === 0));
    });
    tabs.addEventListener("click", (event) => {
      const tab = event.target.closest("[role=tab]");
      if (tab) this.choose(tab.dataset.technique);
    });
    tabs.addEventListener("keydown", (event) => {
      const order = this.techniques.map((t) => t.name);
      const at = order.indexOf(this.current);
      const next = { ArrowRight: at + 1, ArrowLeft: at - 1, Home: 0, End: order.length - 1 }[event.key];
      if (next === undefined) return;
      event.preventDefault();
      this.choose(order[(next + order.length) % order.length], true);
    });
    this.root.replaceChildren(tabs, panels);
    this.current = this.techniques[0]?.name;
  }

  panel(technique, visible) {
    const fields = new Map(technique.params.map((p) => [p.name, paramField(p, technique)]));
    this.fields.set(technique.name, fields);
    linkSamplingThreshold(fields);
    const reset = element("button", { type: "button", class: "secondary small", text: "Reset to defaults" });
    reset.addEventListener("click", () => {
      for (const f of fields.values()) f.control.setValue(f.param.default);
      linkSamplingThreshold(fields);
    });
    const panel = element("section", { role: "tabpanel", id: `panel-${technique.name}`,
      "aria-labelledby": `tab-${technique.name}`, class: "technique-panel", tabindex: "0" },
      element("p", { class: "technique-description", text: technique.description }),
      element("p", { class: "muted small", text: `Model version ${technique.version}` }),
      element("div", { class: "params" }, ...[...fields.values()].map((f) => f.field)),
      reset);
    if (!visible) panel.hidden = true;
    return panel;
  }

  choose(name, focus = false) {
    this.current = name;
    for (const tab of this.root.querySelectorAll("[role=tab]")) {
      const selected = tab.dataset.technique === name;
      tab.setAttribute("aria-selected", String(selected));
      tab.tabIndex = selected ? 0 : -1;
      if (selected && focus) tab.focus();
    }
    for (const panel of this.root.querySelectorAll("[role=tabpanel]")) panel.hidden = panel.id !== `panel-${name}`;
  }

  // Shows a technique's panel with these parameter values (a job restored after a reload).
  setValues(name, params) {
    const fields = this.fields.get(name);
    if (!fields) return;
    this.choose(name);
    for (const [param, value] of Object.entries(params || {})) fields.get(param)?.control.setValue(value);
    linkSamplingThreshold(fields);
  }

  title(name = this.current) {
    return this.techniques.find((t) => t.name === name)?.title || name;
  }

  values() {
    const params = {};
    for (const [name, field] of this.fields.get(this.current)) params[name] = field.control.getValue();
    return { technique: this.current, params };
  }

  // Mark the parameter a server error names (its message says the range), or clear all.
  showError(name, message) {
    for (const fields of this.fields.values()) {
      for (const field of fields.values()) { field.error.hidden = true; field.error.textContent = ""; }
    }
    const field = name && this.fields.get(this.current)?.get(name);
    if (!field) return false;
    field.error.textContent = message;
    field.error.hidden = false;
    field.control.focusTarget?.focus();
    return true;
  }
}
