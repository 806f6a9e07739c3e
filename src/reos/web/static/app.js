// Real Estate OS — small behaviours of the server-rendered pages (no inline scripts: the
// Content-Security-Policy allows only scripts from this origin).
(function () {
  "use strict";

  var TOAST_MS = 5000;

  function dismissLater(toast) {
    window.setTimeout(function () {
      toast.classList.add("is-leaving");
      window.setTimeout(function () { toast.remove(); }, 250);
    }, TOAST_MS);
  }

  function showToast(message, kind) {
    var box = document.getElementById("toasts");
    if (!box || !message) { return; }
    var toast = document.createElement("div");
    toast.className = "toast toast-" + (kind === "error" || kind === "info" ? kind : "success");
    toast.setAttribute("role", kind === "error" ? "alert" : "status");
    toast.textContent = message;
    box.appendChild(toast);
    dismissLater(toast);
  }

  // Toasts asked for by htmx responses: HX-Trigger: {"toast": {"message": "...", "kind": "..."}}
  document.addEventListener("toast", function (event) {
    var detail = event.detail || {};
    showToast(detail.message, detail.kind);
  });
  document.addEventListener("htmx:responseError", function () {
    showToast("Something went wrong on our side. Please try again.", "error");
  });
  document.addEventListener("htmx:sendError", function () {
    showToast("The server cannot be reached. Check your connection and try again.", "error");
  });

  function closeNav() { document.body.classList.remove("nav-open"); }

  function init() {
    document.querySelectorAll(".toast").forEach(dismissLater);

    document.querySelectorAll("[data-nav-toggle]").forEach(function (button) {
      button.addEventListener("click", function () {
        var open = document.body.classList.toggle("nav-open");
        button.setAttribute("aria-expanded", open ? "true" : "false");
      });
    });
    document.querySelectorAll("[data-nav-close]").forEach(function (el) {
      el.addEventListener("click", closeNav);
    });
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape") {
        closeNav();
        document.querySelectorAll("details[data-dismissable][open]").forEach(function (d) { d.open = false; });
      }
    });

    // Menus built on <details> close when the user clicks elsewhere.
    document.addEventListener("click", function (event) {
      document.querySelectorAll("details[data-dismissable][open]").forEach(function (d) {
        if (!d.contains(event.target)) { d.open = false; }
      });
    });

    // Filters that apply as soon as they change.
    document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
      select.addEventListener("change", function () {
        if (select.form) { select.form.requestSubmit(); }
      });
    });

    // A link to #new opens the collapsed create panel it points at.
    function openFromHash() {
      if (!window.location.hash) { return; }
      var target = document.getElementById(window.location.hash.slice(1));
      if (target && target.matches("details[data-open-on-hash]")) {
        target.open = true;
        var first = target.querySelector("input:not([type=hidden]), select, textarea");
        if (first) { first.focus(); }
      }
    }
    openFromHash();
    window.addEventListener("hashchange", openFromHash);

    // Brand colour: show the hex value next to the picker.
    document.querySelectorAll("[data-color-input]").forEach(function (input) {
      var label = input.parentElement && input.parentElement.querySelector("[data-color-value]");
      input.addEventListener("input", function () {
        if (label) { label.textContent = input.value; }
      });
    });
  }

  // The team's live events (Server-Sent Events): one stream per logged-in page, opened on first use.
  var stream = null;
  function liveEvents() {
    if (stream === null && window.EventSource && document.body.hasAttribute("data-member-id")) {
      stream = new EventSource("/api/v1/events");
      window.addEventListener("pagehide", function () { stream.close(); });
    }
    return stream;
  }

  // The event's data, or null when it is addressed to another member of the team (a
  // notification carries the membership it is for; everyone in the team receives the event).
  function dataForMe(event) {
    var data;
    try { data = JSON.parse(event.data || "{}"); } catch (error) { return null; }
    var me = document.body.getAttribute("data-member-id");
    return data && data.membership_id && data.membership_id !== me ? null : data;
  }

  // Live regions: <div data-live-url="/x" data-live-on="event.type ..."> reloads itself from
  // data-live-url when the event stream announces one of the types.
  function watchLive() {
    var regions = document.querySelectorAll("[data-live-url]");
    if (!regions.length || !window.htmx) { return; }
    var source = liveEvents();
    if (!source) { return; }
    regions.forEach(function (region) {
      var timer = null;
      function refresh(event) {
        if (!dataForMe(event)) { return; }
        window.clearTimeout(timer);
        // Several changes in a burst (an import, a bulk action) cause one reload.
        timer = window.setTimeout(function () {
          window.htmx.ajax("GET", region.getAttribute("data-live-url"), { target: region, swap: "innerHTML" });
        }, 300);
      }
      (region.getAttribute("data-live-on") || "").split(/\s+/).forEach(function (type) {
        if (type) { source.addEventListener(type, refresh); }
      });
    });
  }

  // The unread-notifications bell: <span data-unread-count="3">3</span> wherever it shows.
  function unreadCount() {
    var badge = document.querySelector("[data-unread-count]");
    return badge ? parseInt(badge.getAttribute("data-unread-count"), 10) || 0 : 0;
  }

  function setUnread(count) {
    count = Math.max(0, count);
    document.querySelectorAll("[data-unread-count]").forEach(function (badge) {
      badge.setAttribute("data-unread-count", String(count));
      badge.textContent = count > 99 ? "99+" : String(count);
      badge.hidden = count === 0;
    });
    document.querySelectorAll("[data-unread-text]").forEach(function (el) {
      el.textContent = count + " unread";
    });
  }

  // A page action that changed the count says so: HX-Trigger: {"unread": {"count": n}}
  document.addEventListener("unread", function (event) {
    if (event.detail && typeof event.detail.count === "number") { setUnread(event.detail.count); }
  });

  function watchNotifications() {
    if (!document.querySelector("[data-unread-count]")) { return; }
    var source = liveEvents();
    if (!source) { return; }
    source.addEventListener("notification", function (event) {
      var data = dataForMe(event);
      if (!data || !data.membership_id) { return; }
      setUnread(unreadCount() + 1);
      showToast(data.title, "info");
    });
  }

  // A button or link with data-confirm asks first; delegated, so content swapped in by htmx
  // (an import's report turning up in place of its progress) is covered too.
  document.addEventListener("click", function (event) {
    var el = event.target.closest && event.target.closest("[data-confirm]");
    if (el && !window.confirm(el.getAttribute("data-confirm"))) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);

  // The import upload: the chosen file's name in the drop zone, a highlight while a file is
  // dragged over it, and a busy button while a large file uploads.
  function watchUpload() {
    document.querySelectorAll("[data-dropzone]").forEach(function (zone) {
      var input = zone.querySelector("[data-file-input]");
      var name = zone.querySelector("[data-file-name]");
      function show() {
        if (input.files && input.files.length) {
          name.textContent = input.files[0].name + " · " + Math.max(1, Math.round(input.files[0].size / 1024)).toLocaleString() + " KB";
          zone.classList.add("has-file");
        }
      }
      input.addEventListener("change", show);
      ["dragenter", "dragover"].forEach(function (type) {
        zone.addEventListener(type, function (event) { event.preventDefault(); zone.classList.add("is-over"); });
      });
      ["dragleave", "drop"].forEach(function (type) {
        zone.addEventListener(type, function () { zone.classList.remove("is-over"); });
      });
      zone.addEventListener("drop", function (event) {
        event.preventDefault();
        if (event.dataTransfer && event.dataTransfer.files.length) {
          input.files = event.dataTransfer.files;
          show();
        }
      });
    });
    document.querySelectorAll("[data-upload-form]").forEach(function (form) {
      form.addEventListener("submit", function () {
        var button = form.querySelector("[data-upload-button]");
        if (button) { button.disabled = true; button.querySelector("span").textContent = "Uploading…"; }
      });
    });
    // Choosing another sheet of a workbook reads it at once; the button is there without script.
    document.querySelectorAll("[data-sheet-form]").forEach(function (form) {
      var button = form.querySelector("[data-sheet-button]");
      if (button) { button.hidden = true; }
      form.querySelector("[data-sheet-select]").addEventListener("change", function () { form.submit(); });
    });
    // A saved column mapping is applied by reloading the mapping step with it.
    document.querySelectorAll("[data-preset-select]").forEach(function (select) {
      select.addEventListener("change", function () {
        if (select.value) { window.location.href = select.getAttribute("data-base") + "?preset=" + encodeURIComponent(select.value); }
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    watchUpload();
    watchLive();
    watchNotifications();
  });

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
