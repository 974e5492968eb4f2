/**
 * Numeric controls that never hand NaN to a demo: each input is parsed strictly (a plain decimal
 * or exponent number, inside [min, max], an integer where asked); a bad value shows a message
 * beside the input and keeps Start disabled until it is fixed.
 */

export interface ControlSpec {
  /** Settings key sent to the worker. */
  name: string;
  label: string;
  min: number;
  max: number;
  value: number;
  integer?: boolean;
  /** The value must be a multiple of this (e.g. 2 for a lattice that needs checkerboards). */
  multipleOf?: number;
  /** Show a range slider next to the text box (same validation). */
  slider?: boolean;
  step?: number;
}

const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

/** Parses `text` for `spec`: the number, or a message saying what was expected and what was given. */
export function parseControl(spec: ControlSpec, text: string): { value: number } | { error: string } {
  const t = text.trim();
  const kind = spec.multipleOf ? `a multiple of ${spec.multipleOf}` : spec.integer ? "an integer" : "a number";
  const range = `${kind} from ${spec.min} to ${spec.max}`;
  if (!NUMBER.test(t)) return { error: `${spec.label}: expected ${range}, got ${JSON.stringify(text)}` };
  const v = Number(t);
  const notMultiple = spec.multipleOf !== undefined && !Number.isInteger(v / spec.multipleOf);
  if (!Number.isFinite(v) || v < spec.min || v > spec.max || (spec.integer && !Number.isInteger(v)) || notMultiple)
    return { error: `${spec.label}: expected ${range}, got ${t}` };
  return { value: v };
}

export interface Controls {
  /** The current settings, or null while any input is invalid. */
  values(): Record<string, number> | null;
  onChange(f: () => void): void;
  setDisabled(disabled: boolean): void;
}

/** Renders `specs` into `root` (one labelled row each). */
export function renderControls(root: HTMLElement, specs: ControlSpec[]): Controls {
  const listeners: (() => void)[] = [];
  const rows = specs.map((spec) => {
    const row = document.createElement("div");
    row.className = "control";
    const label = document.createElement("label");
    label.textContent = spec.label;
    const input = document.createElement("input");
    input.type = "text";
    input.inputMode = "decimal";
    input.name = spec.name;
    input.id = `control-${spec.name}`;
    input.value = String(spec.value);
    label.htmlFor = input.id;
    const msg = document.createElement("span");
    msg.className = "control-error";
    msg.id = `control-${spec.name}-error`;
    msg.setAttribute("role", "alert");
    row.append(label, input);
    let slider: HTMLInputElement | null = null;
    if (spec.slider) {
      slider = document.createElement("input");
      slider.type = "range";
      slider.min = String(spec.min);
      slider.max = String(spec.max);
      slider.step = String(spec.step ?? (spec.integer ? 1 : (spec.max - spec.min) / 100));
      slider.value = String(spec.value);
      slider.setAttribute("aria-label", spec.label);
      slider.addEventListener("input", () => {
        input.value = slider!.value;
        check();
      });
      row.append(slider);
    }
    row.append(msg);
    root.append(row);
    let current: number | null = spec.value;
    const check = () => {
      const r = parseControl(spec, input.value);
      if ("error" in r) {
        current = null;
        msg.textContent = r.error;
        input.setAttribute("aria-invalid", "true");
      } else {
        current = r.value;
        msg.textContent = "";
        input.removeAttribute("aria-invalid");
        if (slider !== null) slider.value = String(r.value);
      }
      for (const f of listeners) f();
    };
    input.addEventListener("input", check);
    return { spec, input, slider, get: () => current };
  });
  return {
    values() {
      const out: Record<string, number> = {};
      for (const r of rows) {
        const v = r.get();
        if (v === null) return null;
        out[r.spec.name] = v;
      }
      return out;
    },
    onChange: (f) => listeners.push(f),
    setDisabled(disabled) {
      for (const r of rows) {
        r.input.disabled = disabled;
        if (r.slider !== null) r.slider.disabled = disabled;
      }
    },
  };
}
