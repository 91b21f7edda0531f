// yitaotu: the upload page. Sends the chosen files with a progress bar (bytes sent), then
// polls the upload job (/jobs/<id>.json) and opens its result page when it ends.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  const form = document.getElementById("upload-form");
  if (!form) return;
  const bar = document.getElementById("bar");
  const step = document.getElementById("step");
  const box = document.getElementById("progress");
  const error = document.getElementById("upload-error");
  const chosen = document.getElementById("chosen");
  const send = document.getElementById("send");
  const inputs = form.querySelectorAll("input[type=file]");

  const size = (n) => n < 1024 ? `${n} B` : n < 1048576 ? `${(n / 1024).toFixed(1)} KiB`
    : `${(n / 1048576).toFixed(1)} MiB`;
  const files = () => Array.from(inputs).flatMap((i) => Array.from(i.files));
  const fill = (text, values) => text.replace(/\{(\w+)\}/g, (_, k) => values[k] ?? "");
  const fail = (message) => {
    error.textContent = message;
    error.hidden = false;
    box.hidden = true;
    send.disabled = false;
  };

  inputs.forEach((i) => i.addEventListener("change", () => {
    const all = files();
    chosen.textContent = all.length ? fill(chosen.dataset.template,
      {n: all.length, size: size(all.reduce((a, f) => a + f.size, 0))}) : "";
  }));

  const poll = (url, page) => {
    fetch(url, {headers: {Accept: "application/json"}, credentials: "same-origin"})
      .then((r) => r.ok ? r.json() : Promise.reject(r.status))
      .then((job) => {
        if (job.state === "finished" || job.state === "failed") {
          window.location.assign(page);
          return;
        }
        const p = job.progress;
        bar.value = p ? p.percent : 0;
        step.textContent = form.dataset.working + (p ? ` ${p.step}` : "");
        setTimeout(() => poll(url, page), 400);
      })
      .catch(() => setTimeout(() => poll(url, page), 1500));
  };

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (!files().length) {
      fail(form.dataset.empty);
      return;
    }
    error.hidden = true;
    box.hidden = false;
    send.disabled = true;
    const xhr = new XMLHttpRequest();
    xhr.open("POST", form.action);
    xhr.setRequestHeader("Accept", "application/json");
    xhr.upload.addEventListener("progress", (e) => {
      if (!e.lengthComputable) return;
      bar.value = Math.round((e.loaded * 100) / e.total);
      step.textContent = fill(form.dataset.sending, {name: `${size(e.loaded)} / ${size(e.total)}`});
    });
    xhr.addEventListener("load", () => {
      let body = null;
      try { body = JSON.parse(xhr.responseText); } catch (e) { body = null; }
      if (xhr.status === 202 && body) {
        bar.value = 0;
        step.textContent = form.dataset.working;
        poll(body.poll, body.page);
      } else if (body && body.error) {
        fail(body.error.message);
      } else {
        // an error page (HTML): show its message text
        const doc = new DOMParser().parseFromString(xhr.responseText, "text/html");
        const msg = doc.querySelector(".error-message");
        fail((msg && msg.textContent.trim()) || `${form.dataset.failed} (${xhr.status})`);
      }
    });
    xhr.addEventListener("error", () => fail(form.dataset.failed));
    xhr.send(new FormData(form));
  });
});
