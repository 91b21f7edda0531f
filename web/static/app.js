// yitaotu: confirmation dialogs for workflow actions (no inline script: CSP script-src 'self').
// A form with data-confirm="…" asks before it submits; the text names the consequences.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  const dialog = document.getElementById("confirm-dialog");
  if (!dialog) return;
  const text = dialog.querySelector("[data-confirm-text]");
  const title = dialog.querySelector("[data-confirm-title]");
  let pending = null;
  document.querySelectorAll("form[data-confirm]").forEach((form) => {
    form.addEventListener("submit", (event) => {
      if (form.dataset.confirmed === "1") return;
      event.preventDefault();
      pending = form;
      title.textContent = form.dataset.confirmTitle || "";
      text.textContent = form.dataset.confirm;
      dialog.showModal();
    });
  });
  dialog.addEventListener("close", () => {
    if (dialog.returnValue === "ok" && pending) {
      pending.dataset.confirmed = "1";
      pending.requestSubmit();
    }
    pending = null;
  });
});
