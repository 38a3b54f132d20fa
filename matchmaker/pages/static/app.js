// Progressive enhancement: every page works without this file.
document.addEventListener("DOMContentLoaded", () => {
  // A refused decision (409, 422) is drawn in place of the card, like a success.
  htmx.config.responseHandling = [
    { code: "204", swap: false },
    { code: "[23]..", swap: true },
    { code: "4(09|22|29)", swap: true, error: false },
    { code: "...", swap: false, error: true },
  ];
  // After a refused form, the summary of what to correct takes the focus.
  const summary = document.getElementById("form-errors");
  if (summary) summary.focus();
  // Live lists: a server-sent nudge (and the stream's start) fetches the list afresh.
  document.querySelectorAll("[data-live]").forEach((box) => {
    const refresh = () => htmx.ajax("GET", box.dataset.refresh, { target: box.dataset.target, swap: "outerHTML" });
    const stream = new EventSource(box.dataset.live);
    stream.addEventListener("queue", refresh);
    stream.addEventListener("open", refresh);
  });
});
