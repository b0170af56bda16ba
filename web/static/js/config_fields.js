// @ts-check
// A room's config for people: the fields of GET /api/config/schema (pydantic's JSON schema of
// RoomConfig: `world` and `learner`, each field with its type, bounds, default and description)
// as a flat list, readable names ("Ticks per episode" for world.max_ticks), values checked
// against the schema's bounds with readable messages ("Ticks per episode must be 50 to
// 10,000"), inputs built from the fields, and a config's changes written out.

import { el, getJson } from "./common.js";

/**
 * One field of the config.
 * @typedef {{ path: string, part: string, name: string, type: string, label: string,
 *   description: string, default: unknown, min: number | null, max: number | null,
 *   exclusiveMin: boolean, exclusiveMax: boolean, items: Field[] | null }} Field
 * @typedef {{ [key: string]: unknown }} Json
 */

/** Readable names of the fields (the schema's titles are only the names capitalised). */
const LABELS = /** @type {Record<string, string>} */ ({
  "world.width": "Grid width",
  "world.height": "Grid height",
  "world.wall_segments": "Wall pieces",
  "world.wall_length": "Wall piece length",
  "world.factories": "Factories",
  "world.chargers": "Chargers",
  "world.initial_resources": "Resources at the start",
  "world.max_resources": "Most resources on the grid",
  "world.respawn_probability": "Resource respawn chance per tick",
  "world.max_energy": "Full battery (energy)",
  "world.move_cost": "Energy per move",
  "world.work_cost": "Energy per pick or drop",
  "world.charge_rate": "Energy recharged per tick",
  "world.carry_capacity": "Carry capacity",
  "world.max_ticks": "Ticks per episode",
  "world.view_radius": "View radius",
  "world.product_reward": "Reward per product",
  "world.pick_reward": "Reward per pick",
  "world.out_of_energy_penalty": "Out-of-energy penalty",
  "world.shaping_scale": "Shaping reward per cell",
  "world.low_energy_margin": "Low-energy margin",
  "learner.shared": "One shared network",
  "learner.hidden": "Hidden layer width",
  "learner.learning_rate": "Learning rate",
  "learner.adam_eps": "Adam epsilon",
  "learner.gamma": "Discount (gamma)",
  "learner.gae_lambda": "GAE lambda",
  "learner.rollout_ticks": "Ticks per rollout",
  "learner.rollout_cohorts": "Rollout cohorts",
  "learner.epochs": "Epochs per update",
  "learner.minibatches": "Minibatches per epoch",
  "learner.clip": "PPO clip",
  "learner.entropy_coef": "Entropy bonus weight",
  "learner.value_coef": "Value loss weight",
  "learner.max_grad_norm": "Largest gradient norm",
});

/** @param {string} path a dotted field name, e.g. "world.max_ticks" */
export function fieldLabel(path) {
  if (LABELS[path]) return LABELS[path];
  const name = path.split(".").pop() || path;
  const words = name.replace(/_/g, " ");
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** A number as people write it: 10,000; 0.003; 1e-8. @param {number} v */
export function numberText(v) {
  if (!Number.isFinite(v)) return String(v);
  if (Number.isInteger(v)) return v.toLocaleString("en-US");
  if (Math.abs(v) < 1e-4) return v.toExponential();
  return String(v);
}

/** A config value for people. @param {unknown} v @returns {string} */
export function valueText(v) {
  if (typeof v === "number") return numberText(v);
  if (typeof v === "boolean") return v ? "yes" : "no";
  if (Array.isArray(v)) return v.map(valueText).join(" to ");
  if (v === null || v === undefined) return "–";
  return String(v);
}

/**
 * Follow `$ref`, single-entry `allOf` and nullable `anyOf` to the schema that says what a value is.
 * @param {Json} node @param {Json} root
 * @returns {Json}
 */
function resolve(node, root) {
  let at = node;
  for (let i = 0; i < 8 && at; i++) {
    if (typeof at.$ref === "string") {
      const name = at.$ref.split("/").pop() || "";
      const defs = /** @type {Json} */ (root.$defs || root.definitions || {});
      at = { ...(/** @type {Json} */ (defs[name]) || {}), ...Object.fromEntries(Object.entries(at).filter(([k]) => k !== "$ref")) };
    } else if (Array.isArray(at.allOf) && at.allOf.length === 1) {
      const { allOf, ...rest } = at;
      at = { ...(/** @type {Json} */ (allOf[0])), ...rest };
    } else if (Array.isArray(at.anyOf)) {
      const { anyOf, ...rest } = at;
      const some = /** @type {Json[]} */ (anyOf).find((s) => s.type !== "null") || {};
      at = { ...some, ...rest };
    } else break;
  }
  return at;
}

/**
 * A field from its schema.
 * @param {string} path @param {Json} raw @param {Json} root
 * @returns {Field}
 */
function fieldOf(path, raw, root) {
  const s = resolve(raw, root);
  const [part, name] = [path.split(".")[0], path.split(".").slice(1).join(".")];
  const min = typeof s.minimum === "number" ? s.minimum : typeof s.exclusiveMinimum === "number" ? s.exclusiveMinimum : null;
  const max = typeof s.maximum === "number" ? s.maximum : typeof s.exclusiveMaximum === "number" ? s.exclusiveMaximum : null;
  const itemSchemas = Array.isArray(s.prefixItems) ? s.prefixItems
    : s.items && typeof s.items === "object" && !Array.isArray(s.items) && typeof s.maxItems === "number" ? Array(s.maxItems).fill(s.items)
      : Array.isArray(s.items) ? s.items : null;
  return {
    path,
    part,
    name,
    type: typeof s.type === "string" ? s.type : "string",
    label: fieldLabel(path),
    description: typeof s.description === "string" ? s.description : "",
    default: s.default,
    min,
    max,
    exclusiveMin: typeof s.exclusiveMinimum === "number",
    exclusiveMax: typeof s.exclusiveMaximum === "number",
    items: itemSchemas ? itemSchemas.map((item, i) => fieldOf(`${path}.${i}`, /** @type {Json} */ (item), root)) : null,
  };
}

/**
 * Every field of the config schema, world's then learner's, in the schema's order.
 * @param {Json} schema
 * @returns {Field[]}
 */
export function schemaFields(schema) {
  /** @type {Field[]} */
  const fields = [];
  const parts = /** @type {Json} */ (schema.properties || {});
  for (const [part, partRaw] of Object.entries(parts)) {
    const partSchema = resolve(/** @type {Json} */ (partRaw), schema);
    const props = /** @type {Json} */ (partSchema.properties || {});
    const defaults = /** @type {Json} */ (partSchema.default && typeof partSchema.default === "object" ? partSchema.default : {});
    for (const [name, raw] of Object.entries(props)) {
      const field = fieldOf(`${part}.${name}`, /** @type {Json} */ (raw), schema);
      if (field.default === undefined && name in defaults) field.default = defaults[name];
      fields.push(field);
    }
  }
  return fields;
}

/** @type {Promise<Field[] | null> | null} */
let loading = null;

/** The config's fields from GET /api/config/schema (once per page); null when it did not load. */
export function loadFields() {
  if (!loading) {
    loading = getJson("/api/config/schema").then((schema) => (schema && typeof schema === "object" ? schemaFields(/** @type {Json} */ (schema)) : null));
  }
  return loading;
}

/** What a field's value must be, as a sentence's end: "50 to 10,000". @param {Field} f */
export function boundsText(f) {
  const { min, max } = f;
  if (min !== null && max !== null && !f.exclusiveMin && !f.exclusiveMax) return `${numberText(min)} to ${numberText(max)}`;
  const parts = [];
  if (min !== null) parts.push(f.exclusiveMin ? `above ${numberText(min)}` : `at least ${numberText(min)}`);
  if (max !== null) parts.push(f.exclusiveMax ? `below ${numberText(max)}` : `at most ${numberText(max)}`);
  return parts.join(" and ");
}

/**
 * A value typed for a field, checked: `{ value }`, or `{ error }` as a sentence.
 * @param {Field} f @param {string} raw
 * @returns {{ value: unknown } | { error: string }}
 */
export function parseValue(f, raw) {
  const text = raw.trim();
  if (f.type === "boolean") {
    if (/^(true|yes|on|1)$/i.test(text)) return { value: true };
    if (/^(false|no|off|0)$/i.test(text)) return { value: false };
    return { error: `${f.label} must be yes or no` };
  }
  if (f.type === "array" && f.items) {
    const parts = text.replace(/\bto\b/gi, ",").split(/[\s,;]+/).filter(Boolean);
    if (parts.length !== f.items.length) return { error: `${f.label} needs ${f.items.length} values, e.g. ${valueText(f.default)}` };
    const values = [];
    for (let i = 0; i < parts.length; i++) {
      const one = parseValue({ ...f.items[i], label: `Each value of ${f.label.toLowerCase()}` }, parts[i]);
      if ("error" in one) return one;
      values.push(one.value);
    }
    return { value: values };
  }
  if (f.type === "integer" || f.type === "number") {
    const value = Number(text.replace(/,/g, "").replace(/_/g, ""));
    const bounds = boundsText(f);
    if (text === "" || !Number.isFinite(value)) return { error: `${f.label} must be a number${bounds ? ` (${bounds})` : ""}` };
    if (f.type === "integer" && !Number.isInteger(value)) return { error: `${f.label} must be a whole number${bounds ? ` (${bounds})` : ""}` };
    const low = f.min !== null && (f.exclusiveMin ? value <= f.min : value < f.min);
    const high = f.max !== null && (f.exclusiveMax ? value >= f.max : value > f.max);
    if (low || high) return { error: `${f.label} must be ${bounds}` };
    return { value };
  }
  return { value: text };
}

/** @param {Field} f the help text beside a field's input: its description, bounds and default */
export function helpText(f) {
  const bounds = boundsText(f);
  return [f.description, bounds ? `${bounds.charAt(0).toUpperCase()}${bounds.slice(1)}.` : "", f.default !== undefined ? `Default ${valueText(f.default)}.` : ""]
    .filter(Boolean).join(" ");
}

/**
 * An input for a field (blank: the default), in its labelled box with its help and error line.
 * @param {Field} f @param {string} prefix the inputs' name prefix (e.g. "config.")
 * @returns {HTMLElement}
 */
export function fieldInput(f, prefix = "config.") {
  const name = `${prefix}${f.path}`;
  const id = `${name.replace(/\./g, "-")}`;
  const helpId = `${id}-help`;
  /** @type {HTMLInputElement | HTMLSelectElement} */
  let input;
  if (f.type === "boolean") {
    input = el("select", { name, id, "aria-describedby": helpId },
      el("option", { value: "", text: `default (${valueText(f.default)})` }),
      el("option", { value: "yes", text: "yes" }), el("option", { value: "no", text: "no" }));
  } else {
    const numeric = f.type === "integer" || f.type === "number";
    input = el("input", {
      name, id, type: "text", inputMode: numeric ? (f.type === "integer" ? "numeric" : "decimal") : "text",
      placeholder: valueText(f.default), "aria-describedby": helpId, spellcheck: "false",
    });
    if (numeric && f.min !== null) input.dataset.min = String(f.min);
    if (numeric && f.max !== null) input.dataset.max = String(f.max);
  }
  return el("div", { className: "field config-field", dataset: { field: name } },
    el("label", { for: id, text: f.label }),
    input,
    el("small", { className: "help muted", id: helpId, text: helpText(f) }),
    el("small", { className: "field-error", role: "alert", hidden: true }));
}

/**
 * The fields' inputs, grouped under "World" and "Learner".
 * @param {Field[]} fields @param {string} [prefix]
 * @returns {HTMLElement[]}
 */
export function configFieldsets(fields, prefix = "config.") {
  const parts = [...new Set(fields.map((f) => f.part))];
  return parts.map((part) => el("fieldset", { className: "config-part", dataset: { part } },
    el("legend", { text: part === "world" ? "World" : part === "learner" ? "Learner (learning rooms only)" : part }),
    ...fields.filter((f) => f.part === part).map((f) => fieldInput(f, prefix))));
}

/**
 * The config a form's advanced inputs give: only the fields filled in, checked. Errors are by
 * input name.
 * @param {HTMLFormElement} form @param {Field[]} fields @param {{ prefix?: string, parts?: string[] }} [options]
 * @returns {{ config: Record<string, Record<string, unknown>>, errors: Map<string, string> }}
 */
export function readConfig(form, fields, options = {}) {
  const prefix = options.prefix ?? "config.";
  /** @type {Record<string, Record<string, unknown>>} */
  const config = {};
  const errors = new Map();
  for (const f of fields) {
    if (options.parts && !options.parts.includes(f.part)) continue;
    const input = /** @type {HTMLInputElement | null} */ (form.elements.namedItem(`${prefix}${f.path}`));
    if (!input || input.disabled) continue;
    const raw = input.value.trim();
    if (raw === "") continue;
    const parsed = parseValue(f, raw);
    if ("error" in parsed) {
      errors.set(`${prefix}${f.path}`, `${parsed.error}.`);
      continue;
    }
    (config[f.part] ||= {})[f.name] = parsed.value;
  }
  return { config, errors };
}

/**
 * A config's changes from the defaults ({"world.max_ticks": 100, ...}) as "Ticks per episode
 * 100" items.
 * @param {Record<string, unknown> | null | undefined} changes
 * @returns {string[]}
 */
export function changesText(changes) {
  if (!changes || typeof changes !== "object") return [];
  return Object.entries(changes).map(([path, value]) => `${fieldLabel(path)} ${valueText(value)}`);
}

/**
 * The leaves of a config ({"world": {...}, "learner": {...}}) by dotted name.
 * @param {unknown} config
 * @returns {Map<string, unknown>}
 */
export function flatConfig(config) {
  /** @type {Map<string, unknown>} */
  const out = new Map();
  if (!config || typeof config !== "object") return out;
  for (const [part, fields] of Object.entries(config)) {
    if (!fields || typeof fields !== "object") continue;
    for (const [name, value] of Object.entries(fields)) out.set(`${part}.${name}`, value);
  }
  return out;
}
