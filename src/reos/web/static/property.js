// The property page: the edit form toggle and "task from this" on timeline items.
(function () {
  "use strict";

  function csrfToken() {
    try {
      return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRF-Token"] || "";
    } catch (e) {
      return "";
    }
  }

  function toast(message, kind) {
    document.dispatchEvent(new CustomEvent("toast", { detail: { message: message, kind: kind } }));
  }

  document.querySelectorAll("[data-toggle-edit]").forEach(function (button) {
    button.addEventListener("click", function () {
      var form = document.getElementById("edit-form");
      if (!form) { return; }
      form.hidden = !form.hidden;
      if (!form.hidden) { form.querySelector("input, select")?.focus(); }
    });
  });

  document.querySelectorAll("[data-make-task]").forEach(function (button) {
    button.addEventListener("click", function () {
      button.disabled = true;
      fetch("/api/v1/tasks", {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": csrfToken() },
        // Due tomorrow at this time; the task page moves it if needed.
        body: JSON.stringify({
          source: { kind: button.dataset.sourceKind, id: button.dataset.sourceId },
          due_at: new Date(Date.now() + 86400000).toISOString(),
        }),
      }).then(function (response) {
        return response.json().then(function (body) { return { ok: response.ok, body: body }; });
      }).then(function (result) {
        if (!result.ok) {
          button.disabled = false;
          toast((result.body.error && result.body.error.message) || "The task could not be made.", "error");
          return;
        }
        toast("Task created: " + result.body.title + ".", "success");
        // The task panel and the timeline both show it: reload the page's data.
        window.setTimeout(function () { window.location.reload(); }, 600);
      }).catch(function () {
        button.disabled = false;
        toast("The server could not be reached. Try again.", "error");
      });
    });
  });
})();
