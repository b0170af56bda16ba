// @ts-check
// Small modal dialogs for the pages (never window.confirm or prompt, which block the page and
// cannot be styled or tested): `confirmDialog` asks yes or no, `nameDialog` asks for a name and
// sends it, showing the server's refusal under the field until it is accepted or cancelled.
// Both are native <dialog> elements opened with showModal(): focus moves into them and stays
// there, Esc cancels, Enter confirms, and focus returns to where it was when they close.

import { el } from "./common.js";

/**
 * @typedef {{ title: string, text: string, confirm: string, danger?: boolean }} ConfirmOptions
 * @typedef {{ title: string, label: string, value: string, submit: string, help?: string,
 *   send: (name: string) => Promise<string | null> }} NameOptions
 *   `send` answers null when the name was taken, or the sentence saying why not
 */

/** The longest room name (simrooms.protocol's ROOM_NAME_PATTERN). */
export const NAME_MAX = 40;

/**
 * A <dialog> in the page with a title, a body and the buttons row, removed when it closes.
 * @param {string} title
 * @param {Node[]} body
 * @param {HTMLButtonElement} ok
 * @param {(dialog: HTMLDialogElement) => void} onSubmit
 */
function openDialog(title, body, ok, onSubmit) {
  const back = document.activeElement instanceof HTMLElement ? document.activeElement : null;
  const heading = el("h2", { id: `dialog-title-${Date.now()}`, text: title });
  const cancel = el("button", { type: "button", className: "btn", text: "Cancel", dataset: { dialog: "cancel" } });
  const form = el("form", { method: "dialog", className: "dialog-form", novalidate: true },
    heading, ...body, el("div", { className: "dialog-buttons" }, cancel, ok));
  const dialog = el("dialog", { className: "dialog", "aria-labelledby": heading.id }, form);
  cancel.addEventListener("click", () => dialog.close(""));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    onSubmit(dialog);
  });
  dialog.addEventListener("close", () => {
    dialog.remove();
    back?.focus();
  });
  document.body.append(dialog);
  dialog.showModal();
  return dialog;
}

/**
 * Ask the user to confirm: true when they pressed the confirming button.
 * @param {ConfirmOptions} options
 * @returns {Promise<boolean>}
 */
export function confirmDialog({ title, text, confirm, danger = false }) {
  return new Promise((resolve) => {
    const ok = el("button", { type: "submit", className: `btn ${danger ? "btn-danger-solid" : "btn-primary"}`, text: confirm,
      dataset: { dialog: "confirm" } });
    const dialog = openDialog(title, [el("p", { text })], ok, (d) => d.close("yes"));
    dialog.addEventListener("close", () => resolve(dialog.returnValue === "yes"));
    ok.focus();
  });
}

/**
 * Ask for a name and send it; the dialog stays open with the refusal under the field until a
 * name is taken (true) or the user cancels (false).
 * @param {NameOptions} options
 * @returns {Promise<boolean>}
 */
export function nameDialog({ title, label, value, submit, help, send }) {
  return new Promise((resolve) => {
    const id = `dialog-name-${Date.now()}`;
    const input = el("input", { id, type: "text", name: "name", maxLength: NAME_MAX, required: true, spellcheck: false,
      autocomplete: "off", value, "aria-describedby": `${id}-error` });
    const error = el("p", { id: `${id}-error`, className: "form-error", role: "alert", hidden: true });
    const ok = el("button", { type: "submit", className: "btn btn-primary", text: submit, dataset: { dialog: "confirm" } });
    let sending = false;
    /** @type {Node[]} */
    const body = [el("label", { className: "field", for: id }, el("span", { text: label })), input];
    if (help) body.push(el("p", { className: "muted small", text: help }));
    body.push(error);
    const dialog = openDialog(title, body, ok, async (d) => {
      if (sending) return;
      const name = input.value.trim();
      const problem = name ? null : "Give the room a name.";
      if (!problem) {
        sending = true;
        ok.disabled = true;
      }
      const refusal = problem ?? (await send(name));
      sending = false;
      ok.disabled = false;
      if (refusal === null) {
        d.close("yes");
        return;
      }
      error.textContent = refusal;
      error.hidden = false;
      input.setAttribute("aria-invalid", "true");
      input.focus();
    });
    dialog.addEventListener("close", () => resolve(dialog.returnValue === "yes"));
    input.focus();
    input.select();
  });
}
