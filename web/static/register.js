// yitaotu: the sheet register. While its thumbnail job runs, poll it; when it ends, load
// the thumbnails again (the server answered a placeholder for those not drawn yet).
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  const table = document.getElementById("register");
  if (!table || !table.dataset.job) return;
  const reload = () => table.querySelectorAll("img").forEach((img) => {
    img.src = `${img.src.split("?")[0]}?r=${Date.now()}`;
  });
  const poll = () => fetch(table.dataset.job, {credentials: "same-origin"})
    .then((r) => r.ok ? r.json() : Promise.reject(r.status))
    .then((job) => {
      if (job.state === "finished" || job.state === "failed") reload();
      else setTimeout(poll, 700);
    })
    .catch(() => setTimeout(poll, 2000));
  poll();
});
