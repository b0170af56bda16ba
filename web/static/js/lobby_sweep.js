// @ts-check
// The lobby's sweep form: a name, the base room (agents, policy, speed, public and an advanced
// base config), the seeds as a list ("1,2,3,4"), and grid rows (a field and its values) added
// and removed at will. Everything is checked here with readable messages (the seeds, each
// grid value against its field's bounds, at most 64 rooms) before `create_sweep` is sent; the
// server's sentence shows when it still refuses. On success the sweep's page opens.

import { byId, el, request, toast } from "./common.js";
import { configFieldsets, fieldLabel, parseValue, readConfig } from "./config_fields.js";

/** @import { Field } from "./config_fields.js" */

/** Seeds and rooms a sweep may have (ACCEPTANCE: 1 to 32 seeds, seeds times points at most 64). */
const MAX_SEEDS = 32;
const MAX_ROOMS = 64;

/** @param {string} text "1,2,3,4" or "1 2 3" or "1-4" @returns {{ seeds: number[] } | { error: string }} */
export function parseSeeds(text) {
  /** @type {number[]} */
  const seeds = [];
  for (const part of text.split(/[\s,;]+/).filter(Boolean)) {
    const range = /^(\d+)-(\d+)$/.exec(part);
    if (range) {
      const [from, to] = [Number(range[1]), Number(range[2])];
      if (to < from || to - from >= MAX_SEEDS) return { error: `Seeds: ${part} is not a range of at most ${MAX_SEEDS}` };
      for (let s = from; s <= to; s++) seeds.push(s);
    } else if (/^\d+$/.test(part)) {
      seeds.push(Number(part));
    } else {
      return { error: `Seeds must be whole numbers (0 or more) separated by commas: “${part}” is not one` };
    }
  }
  if (!seeds.length) return { error: "Give at least one seed, e.g. 1,2,3,4" };
  if (new Set(seeds).size !== seeds.length) return { error: "Each seed may come only once" };
  if (seeds.length > MAX_SEEDS) return { error: `A sweep has at most ${MAX_SEEDS} seeds (${seeds.length} given)` };
  return { seeds };
}

export class SweepForm {
  /** @param {Socket} socket */
  constructor(socket) {
    this.socket = socket;
    this.form = /** @type {HTMLFormElement} */ (byId("sweep-form"));
    this.error = byId("sweep-error");
    this.rows = byId("grid-rows");
    this.size = byId("sweep-size");
    this.button = /** @type {HTMLButtonElement} */ (byId("sweep-button"));
    this.advancedBox = byId("sweep-advanced-fields");
    this.advanced = /** @type {HTMLDetailsElement} */ (byId("sweep-advanced"));
    /** @type {Field[]} the fields a grid may go over (not the arrays) */
    this.fields = [];
    /** @type {Field[]} every field (the base config's inputs) */
    this.allConfigFields = [];
    this.rowCount = 0;
    const turbo = /** @type {HTMLInputElement} */ (this.form.elements.namedItem("sweep.turbo"));
    const speed = /** @type {HTMLInputElement} */ (this.form.elements.namedItem("sweep.speed"));
    turbo.addEventListener("change", () => {
      speed.disabled = turbo.checked;
    });
    this.policy().addEventListener("change", () => this.syncPolicy());
    byId("grid-add").addEventListener("click", () => this.addRow());
    this.form.addEventListener("input", () => this.showSize());
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.submit();
    });
  }

  policy() {
    return /** @type {HTMLSelectElement} */ (this.form.elements.namedItem("sweep.policy"));
  }

  /** The config's fields (from the schema): the base config's inputs and the grid's choices. @param {Field[]} fields */
  setFields(fields) {
    this.fields = fields.filter((f) => f.type !== "array");
    this.allConfigFields = fields;
    this.advancedBox.replaceChildren(...configFieldsets(fields, "sweep.config."));
    this.syncPolicy();
  }

  /** The learner's fields (base config and grid) are for learning sweeps only. */
  syncPolicy() {
    const learning = this.policy().value === "learning";
    const part = /** @type {HTMLFieldSetElement | null} */ (this.advancedBox.querySelector("fieldset[data-part=learner]"));
    if (part) part.disabled = !learning;
    for (const select of this.rows.querySelectorAll("select")) {
      for (const option of /** @type {HTMLSelectElement} */ (select).options) option.disabled = !learning && option.value.startsWith("learner.");
    }
  }

  /** A grid row: which field, and its values. */
  addRow() {
    if (!this.fields.length) {
      toast("The config's fields have not loaded yet.", "error");
      return;
    }
    const n = ++this.rowCount;
    const used = new Set([...this.rows.querySelectorAll("select")].map((s) => /** @type {HTMLSelectElement} */ (s).value));
    const learning = this.policy().value === "learning";
    const first = this.fields.find((f) => !used.has(f.path) && (learning || f.part === "world")) || this.fields[0];
    const select = el("select", { name: `grid.${n}.field`, "aria-label": "Field" },
      ...this.fields.map((f) => el("option", { value: f.path, text: `${fieldLabel(f.path)} (${f.path})`, selected: f === first,
        disabled: !learning && f.part === "learner" })));
    const values = el("input", { name: `grid.${n}.values`, type: "text", "aria-label": "Values", placeholder: "values, e.g. 0.001, 0.003",
      spellcheck: "false" });
    const remove = el("button", { type: "button", className: "btn btn-small btn-danger", text: "Remove", "aria-label": "Remove this grid row" });
    const row = el("div", { className: "field grid-row", dataset: { field: `grid.${n}`, row: String(n) } },
      el("div", { className: "grid-row-inputs" }, select, values, remove),
      el("small", { className: "field-error", role: "alert", hidden: true }));
    remove.addEventListener("click", () => {
      row.remove();
      this.showSize();
    });
    this.rows.append(row);
    values.focus();
    this.showSize();
  }

  /**
   * The grid the rows give: {"learner.learning_rate": [0.001, 0.003]}, or errors by row.
   * @returns {{ grid: Record<string, unknown[]>, errors: Map<string, string> }}
   */
  readGrid() {
    /** @type {Record<string, unknown[]>} */
    const grid = {};
    const errors = new Map();
    for (const row of this.rows.querySelectorAll(".grid-row")) {
      const key = /** @type {HTMLElement} */ (row).dataset.field || "";
      const path = /** @type {HTMLSelectElement} */ (row.querySelector("select")).value;
      const raw = /** @type {HTMLInputElement} */ (row.querySelector("input")).value;
      const field = this.fields.find((f) => f.path === path);
      if (!field) continue;
      if (path in grid) {
        errors.set(key, `${field.label} is in the grid twice`);
        continue;
      }
      const parts = raw.split(/[\s,;]+/).filter(Boolean);
      if (!parts.length) {
        errors.set(key, `Give ${field.label.toLowerCase()} one value or more, separated by commas`);
        continue;
      }
      const values = [];
      for (const part of parts) {
        const parsed = parseValue(field, part);
        if ("error" in parsed) {
          errors.set(key, parsed.error);
          break;
        }
        values.push(parsed.value);
      }
      if (!errors.has(key)) grid[path] = values;
    }
    return { grid, errors };
  }

  /** How many rooms the form makes, under the button. */
  showSize() {
    const seeds = parseSeeds(String(new FormData(this.form).get("sweep.seeds") || ""));
    const { grid } = this.readGrid();
    const points = Object.values(grid).reduce((n, values) => n * values.length, 1);
    if ("error" in seeds) {
      this.size.textContent = "";
      return;
    }
    const rooms = seeds.seeds.length * points;
    this.size.textContent = `${seeds.seeds.length} seed${seeds.seeds.length === 1 ? "" : "s"} × ${points} grid point${points === 1 ? "" : "s"} = ${rooms} room${rooms === 1 ? "" : "s"}${rooms > MAX_ROOMS ? ` (at most ${MAX_ROOMS})` : ""}`;
  }

  clearErrors() {
    this.error.hidden = true;
    this.error.textContent = "";
    for (const box of this.form.querySelectorAll("[data-field]")) {
      box.classList.remove("invalid");
      const small = /** @type {HTMLElement | null} */ (box.querySelector(":scope > .field-error"));
      if (small) {
        small.hidden = true;
        small.textContent = "";
      }
    }
  }

  /** @param {string | null} field @param {string} message */
  showError(field, message) {
    const box = field ? /** @type {HTMLElement | null} */ (this.form.querySelector(`[data-field="${CSS.escape(field)}"]`)) : null;
    const small = /** @type {HTMLElement | null | undefined} */ (box?.querySelector(":scope > .field-error"));
    if (box && small) {
      if (field?.startsWith("sweep.config.")) this.advanced.open = true;
      box.classList.add("invalid");
      small.textContent = message.endsWith(".") ? message : `${message}.`;
      small.hidden = false;
      /** @type {HTMLElement | null} */ (box.querySelector("input, select"))?.focus();
    } else {
      this.error.textContent = message;
      this.error.hidden = false;
    }
  }

  async submit() {
    this.clearErrors();
    const data = new FormData(this.form);
    /** @type {[string, string][]} */
    const errors = [];
    const name = String(data.get("sweep.name") || "").trim();
    if (!name) errors.push(["sweep.name", "Give the sweep a name"]);
    const seeds = parseSeeds(String(data.get("sweep.seeds") || ""));
    if ("error" in seeds) errors.push(["sweep.seeds", seeds.error]);
    const { grid, errors: gridErrors } = this.readGrid();
    errors.push(...gridErrors);
    const policy = String(data.get("sweep.policy"));
    const parts = policy === "learning" ? ["world", "learner"] : ["world"];
    const { config, errors: configErrors } = readConfig(this.form, this.allConfigFields, { prefix: "sweep.config.", parts });
    errors.push(...configErrors);
    const agentsRaw = String(data.get("sweep.agents") || "").trim();
    if (!/^\d+$/.test(agentsRaw) || Number(agentsRaw) < 1 || Number(agentsRaw) > 8) errors.push(["sweep.agents", "Agents must be 1 to 8"]);
    const speedRaw = Number(data.get("sweep.speed"));
    if (!data.get("sweep.turbo") && !(speedRaw >= 0.1 && speedRaw <= 5)) errors.push(["sweep.speed", "Speed must be 0.1 to 5 (or tick max for turbo)"]);
    if (!("error" in seeds) && !gridErrors.size) {
      const points = Object.values(grid).reduce((n, values) => n * values.length, 1);
      if (seeds.seeds.length * points > MAX_ROOMS) {
        errors.push(["sweep.seeds", `${seeds.seeds.length} seeds × ${points} grid points make ${seeds.seeds.length * points} rooms: a sweep has at most ${MAX_ROOMS}`]);
      }
    }
    if (errors.length) {
      for (const [field, message] of [...errors].reverse()) this.showError(field, message);
      return;
    }
    const agents = Number(data.get("sweep.agents"));
    /** @type {Record<string, unknown>} */
    const room = {
      agents: Number.isFinite(agents) ? agents : 4,
      policy,
      speed: data.get("sweep.turbo") ? "max" : Number(data.get("sweep.speed") || 1),
      public: data.get("sweep.public") === "on",
    };
    if (Object.keys(config).length) room.config = config;
    const payload = { name, room, seeds: "error" in seeds ? [] : seeds.seeds, grid };
    this.button.disabled = true;
    const ack = await request(this.socket, "create_sweep", payload, 60000);
    this.button.disabled = false;
    if (!ack.ok) {
      this.showError(this.serverField(ack.error.message, ack.error.code), ack.error.message);
      return;
    }
    toast(`Sweep “${ack.sweep.name}” created.`);
    location.assign(`/sweeps/${encodeURIComponent(ack.sweep.name)}`);
  }

  /** @param {string} message @param {string} code @returns {string | null} */
  serverField(message, code) {
    if (code === "conflict") return "sweep.name";
    const match = /field '([a-z_.]+)'/.exec(message || "");
    if (!match) return null;
    const path = match[1];
    if (path.startsWith("room.config.")) return `sweep.config.${path.slice("room.config.".length)}`;
    if (path.startsWith("room.")) return `sweep.${path.slice(5)}`;
    if (path === "name" || path === "seeds") return `sweep.${path}`;
    return path.startsWith("grid") ? "sweep.grid" : null;
  }
}
