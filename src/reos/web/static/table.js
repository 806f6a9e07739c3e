// Real Estate OS — the property table: filter builder, column chooser, smart lists, row
// selection and bulk actions with live progress. The server renders the rows; this file builds
// the filter document (the same one the API takes) and calls the JSON API with the page's
// session cookie and CSRF token.
(function () {
  "use strict";

  var OP_LABELS = {
    eq: "is", ne: "is not", lt: "less than", lte: "at most", gt: "more than", gte: "at least",
    between: "between", "in": "is any of", not_in: "is none of", contains: "contains",
    starts_with: "starts with", is_null: "is empty", not_null: "is not empty",
    has_any: "has any of", has_all: "has all of"
  };
  var DATE_LABELS = { lt: "before", lte: "on or before", gt: "after", gte: "on or after" };
  var OP_ORDER = ["eq", "ne", "contains", "starts_with", "in", "not_in", "has_any", "has_all",
    "gt", "gte", "lt", "lte", "between", "is_null", "not_null"];
  var COLUMNS_KEY = "reos.table.columns";

  function csrfToken() {
    try { return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRF-Token"] || ""; }
    catch (error) { return ""; }
  }

  function api(method, url, body) {
    return fetch(url, {
      method: method,
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrfToken(), "Accept": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body)
    }).then(function (response) {
      return response.text().then(function (text) {
        var data = null;
        try { data = text ? JSON.parse(text) : null; } catch (error) { data = null; }
        if (!response.ok) {
          var message = data && data.error ? data.error.message : "The server refused: " + response.status;
          throw new Error(message);
        }
        return data;
      });
    });
  }

  function toast(message, kind) {
    document.dispatchEvent(new CustomEvent("toast", { detail: { message: message, kind: kind || "success" } }));
  }

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) {
      if (key === "text") { node.textContent = attrs[key]; } else { node.setAttribute(key, attrs[key]); }
    });
    (children || []).forEach(function (child) { if (child) { node.appendChild(child); } });
    return node;
  }

  function init() {
    var root = document.getElementById("lead-table");
    if (!root) { return; }
    var fields = JSON.parse(root.getAttribute("data-fields") || "[]");
    var byName = {};
    fields.forEach(function (f) { byName[f.name] = f; });
    var doc = JSON.parse(root.getAttribute("data-filter") || "{}");
    var form = document.getElementById("filter-form");
    var builder = document.getElementById("filter-builder");
    var rowsBox = builder.querySelector("[data-rows]");
    var matchSelect = builder.querySelector("[data-match]");
    var listId = root.getAttribute("data-list-id");
    var listKind = root.getAttribute("data-list-kind");

    // --- filter builder ------------------------------------------------------------------
    function opLabel(field, op) {
      if ((field.type === "date" || field.type === "datetime") && DATE_LABELS[op]) { return DATE_LABELS[op]; }
      return OP_LABELS[op] || op;
    }

    function inputType(field) {
      if (field.type === "integer" || field.type === "number") { return "number"; }
      if (field.type === "date" || field.type === "datetime") { return "date"; }
      return "text";
    }

    function valueWidget(field, op, value) {
      var box = el("span", { "class": "cond-value" });
      if (op === "is_null" || op === "not_null") { return box; }
      var multi = op === "in" || op === "not_in" || op === "has_any" || op === "has_all";
      if (field.choices && field.choices.length) {
        var select = el("select", { "aria-label": "Value", "data-value": "" });
        if (multi) { select.multiple = true; select.size = Math.min(4, field.choices.length); }
        field.choices.forEach(function (c) {
          var option = el("option", { value: c[0], text: c[1] });
          var chosen = Array.isArray(value) ? value.indexOf(c[0]) >= 0 : value === c[0];
          if (chosen) { option.selected = true; }
          select.appendChild(option);
        });
        box.appendChild(select);
        return box;
      }
      if (field.type === "boolean") {
        var yesno = el("select", { "aria-label": "Value", "data-value": "" },
          [el("option", { value: "true", text: "Yes" }), el("option", { value: "false", text: "No" })]);
        yesno.value = value === false ? "false" : "true";
        box.appendChild(yesno);
        return box;
      }
      var type = multi ? "text" : inputType(field);
      var show = function (v) {
        if (v === null || v === undefined) { return ""; }
        return String(v).slice(0, type === "date" ? 10 : undefined);
      };
      if (op === "between") {
        var pair = Array.isArray(value) ? value : [null, null];
        box.appendChild(el("input", { type: type, "aria-label": "From", "data-value": "low", value: show(pair[0]) }));
        box.appendChild(el("span", { "class": "cond-and", text: "and" }));
        box.appendChild(el("input", { type: type, "aria-label": "To", "data-value": "high", value: show(pair[1]) }));
        return box;
      }
      var text = Array.isArray(value) ? value.join(", ") : show(value);
      var attrs = { type: type, "aria-label": "Value", "data-value": "", value: text };
      if (multi) { attrs.placeholder = "comma, separated"; }
      if (type === "number") { attrs.step = "any"; }
      box.appendChild(el("input", attrs));
      return box;
    }

    function conditionRow(cond) {
      var row = el("div", { "class": "cond", "data-cond": "" });
      var fieldSelect = el("select", { "aria-label": "Field", "data-field": "" });
      fields.forEach(function (f) { fieldSelect.appendChild(el("option", { value: f.name, text: f.label })); });
      var opSelect = el("select", { "aria-label": "Operator", "data-op": "" });
      var remove = el("button", { type: "button", "class": "icon-button", "aria-label": "Remove condition", text: "×" });
      var value = cond.value;
      fieldSelect.value = byName[cond.field] ? cond.field : fields[0].name;

      function fillOps(selected) {
        var field = byName[fieldSelect.value];
        opSelect.innerHTML = "";
        OP_ORDER.filter(function (op) { return field.ops.indexOf(op) >= 0; }).forEach(function (op) {
          opSelect.appendChild(el("option", { value: op, text: opLabel(field, op) }));
        });
        opSelect.value = field.ops.indexOf(selected) >= 0 ? selected : opSelect.options[0].value;
      }
      function fillValue() {
        var old = row.querySelector(".cond-value");
        var widget = valueWidget(byName[fieldSelect.value], opSelect.value, value);
        if (old) { row.replaceChild(widget, old); } else { row.insertBefore(widget, remove); }
      }
      fieldSelect.addEventListener("change", function () { value = null; fillOps(null); fillValue(); });
      opSelect.addEventListener("change", fillValue);
      remove.addEventListener("click", function () { row.remove(); countConditions(); });
      row.appendChild(fieldSelect);
      row.appendChild(opSelect);
      row.appendChild(remove);
      fillOps(cond.op);
      fillValue();
      return row;
    }

    function readValue(field, op, row) {
      if (op === "is_null" || op === "not_null") { return undefined; }
      var multi = op === "in" || op === "not_in" || op === "has_any" || op === "has_all";
      var cast = function (v) {
        if (field.type === "integer") { return parseInt(v, 10); }
        if (field.type === "boolean") { return v === "true"; }
        if (field.type === "datetime" && v) { return v + "T00:00:00"; }
        return v;
      };
      if (op === "between") {
        return [cast(row.querySelector("[data-value=low]").value), cast(row.querySelector("[data-value=high]").value)];
      }
      var input = row.querySelector("[data-value]");
      if (input.multiple) {
        return Array.prototype.filter.call(input.options, function (o) { return o.selected; }).map(function (o) { return o.value; });
      }
      if (multi) {
        return input.value.split(",").map(function (v) { return v.trim(); }).filter(Boolean).map(cast);
      }
      return cast(input.value.trim());
    }

    // A row whose value is still empty is a condition being written, not "city is nothing":
    // applied, it had matched no property at all.
    function blank(value) {
      if (value === undefined) { return false; }
      var parts = Array.isArray(value) ? value : [value];
      return !parts.length || parts.some(function (v) { return v === "" || (typeof v === "number" && isNaN(v)); });
    }

    function completeConditions() {
      var conditions = [];
      rowsBox.querySelectorAll("[data-cond]").forEach(function (row) {
        var field = byName[row.querySelector("[data-field]").value];
        var op = row.querySelector("[data-op]").value;
        var cond = { field: field.name, op: op };
        var value = readValue(field, op, row);
        if (blank(value)) { return; }
        if (value !== undefined) { cond.value = value; }
        conditions.push(cond);
      });
      return conditions;
    }

    function builtDocument() {
      var conditions = completeConditions();
      var built = {};
      if (conditions.length) { built[matchSelect.value] = conditions; }
      if (doc.sort) { built.sort = doc.sort; }
      return built;
    }

    function countConditions() {
      var n = completeConditions().length;
      var pill = form.querySelector("[data-condition-count]");
      pill.textContent = String(n);
      pill.hidden = n === 0;
    }

    var top = doc.any ? "any" : "all";
    matchSelect.value = top;
    (doc[top] || []).forEach(function (node) {
      // Nested groups are kept by the API; the builder edits the top level.
      if (node.field) { rowsBox.appendChild(conditionRow(node)); }
    });
    countConditions();
    rowsBox.addEventListener("input", countConditions);
    rowsBox.addEventListener("change", countConditions);

    var toggle = form.querySelector("[data-toggle-builder]");
    function openBuilder(open) {
      builder.hidden = !open;
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
    }
    toggle.addEventListener("click", function () {
      openBuilder(builder.hidden);
      if (!builder.hidden && !rowsBox.children.length) {
        rowsBox.appendChild(conditionRow({ field: "city", op: "eq" }));
        countConditions();
      }
    });
    builder.querySelector("[data-add-condition]").addEventListener("click", function () {
      rowsBox.appendChild(conditionRow({ field: "city", op: "eq" }));
      countConditions();
    });
    builder.querySelector("[data-clear-filter]").addEventListener("click", function () {
      rowsBox.innerHTML = "";
      countConditions();
    });
    function applyFilter() {
      var built = builtDocument();
      form.querySelector("[data-filter-input]").value = built.all || built.any ? JSON.stringify(built) : "";
      form.requestSubmit();
    }
    builder.querySelector("[data-apply-filter]").addEventListener("click", applyFilter);

    // The current view as one filter document: the builder plus the search box and stage.
    function viewDocument(withList) {
      var built = builtDocument();
      var extra = [];
      var q = form.querySelector("input[name=q]").value.trim();
      var stage = form.querySelector("select[name=stage]").value;
      if (q) { extra.push({ field: "q", op: "contains", value: q }); }
      if (stage) { extra.push({ field: "stage", op: "eq", value: stage }); }
      if (withList && listId) { extra.push({ field: "list", op: "eq", value: listId }); }
      var nodes = built.all || built.any ? [built.any ? { any: built.any } : { all: built.all }] : [];
      var result = { all: nodes.concat(extra) };
      var sort = form.querySelector("select[name=sort]").value;
      if (sort) {
        result.sort = sort.split(",").map(function (s) {
          return { field: s.replace(/^-/, ""), dir: s.charAt(0) === "-" ? "desc" : "asc" };
        });
      }
      return result;
    }

    // --- smart lists -------------------------------------------------------------------------
    var saveButton = builder.querySelector("[data-save-smart]");
    if (saveButton) {
      saveButton.addEventListener("click", function () {
        var nameInput = builder.querySelector("[data-smart-name]");
        var name = nameInput.value.trim();
        if (!name) { nameInput.focus(); toast("Give the smart list a name first.", "error"); return; }
        saveButton.disabled = true;
        api("POST", "/api/v1/lists", { name: name, kind: "smart", filter: viewDocument(true), columns: visibleColumns() })
          .then(function (saved) {
            toast("Smart list “" + saved.name + "” saved.");
            window.location.href = "/properties?list_id=" + saved.id;
          })
          .catch(function (error) { toast(error.message, "error"); saveButton.disabled = false; });
      });
    }
    var updateButton = builder.querySelector("[data-update-smart]");
    if (updateButton) {
      updateButton.addEventListener("click", function () {
        var built = viewDocument(false);
        api("PATCH", "/api/v1/lists/" + listId, { filter: built })
          .then(function () { window.location.href = "/properties?list_id=" + listId; })
          .catch(function (error) { toast(error.message, "error"); });
      });
    }

    // --- renaming or deleting the list shown ---------------------------------------------------
    var renameForm = document.querySelector("[data-rename-list]");
    if (renameForm) {
      renameForm.addEventListener("submit", function (event) {
        event.preventDefault();
        var nameInput = renameForm.querySelector("[data-list-name]");
        var name = nameInput.value.trim();
        if (!name) { nameInput.focus(); toast("Give the list a name.", "error"); return; }
        api("PATCH", "/api/v1/lists/" + renameForm.getAttribute("data-rename-list"), { name: name })
          .then(function () { window.location.reload(); })
          .catch(function (error) { toast(error.message, "error"); });
      });
      var deleteButton = renameForm.querySelector("[data-delete-list]");
      deleteButton.addEventListener("click", function () {
        var label = deleteButton.getAttribute("data-list-label");
        if (!window.confirm("Delete the list “" + label + "”? Its properties stay.")) { return; }
        deleteButton.disabled = true;
        api("DELETE", "/api/v1/lists/" + deleteButton.getAttribute("data-delete-list"))
          .then(function () { window.location.href = "/properties"; })
          .catch(function (error) { toast(error.message, "error"); deleteButton.disabled = false; });
      });
    }

    // --- columns -----------------------------------------------------------------------------
    var chooser = form.querySelector("[data-column-chooser]");
    function visibleColumns() {
      return Array.prototype.filter.call(chooser.querySelectorAll("input"), function (i) { return i.checked; })
        .map(function (i) { return i.value; });
    }
    function showColumns(columns) {
      chooser.querySelectorAll("input").forEach(function (input) { input.checked = columns.indexOf(input.value) >= 0; });
      root.querySelectorAll("[data-col]").forEach(function (cell) {
        cell.hidden = columns.indexOf(cell.getAttribute("data-col")) < 0;
      });
    }
    if (!root.getAttribute("data-list-columns")) {
      try {
        var stored = JSON.parse(window.localStorage.getItem(COLUMNS_KEY) || "null");
        if (Array.isArray(stored) && stored.length) { showColumns(stored); }
      } catch (error) { /* a broken stored value is ignored */ }
    }
    var saveColumnsTimer = null;
    chooser.addEventListener("change", function () {
      var columns = visibleColumns();
      showColumns(columns);
      try { window.localStorage.setItem(COLUMNS_KEY, JSON.stringify(columns)); } catch (error) { /* private mode */ }
      if (listId && document.body.hasAttribute("data-member-id")) {
        window.clearTimeout(saveColumnsTimer);
        saveColumnsTimer = window.setTimeout(function () {
          api("PATCH", "/api/v1/lists/" + listId, { columns: columns }).catch(function () { /* viewers keep them locally */ });
        }, 600);
      }
    });

    var picker = document.querySelector("[data-list-picker]");
    if (picker) { picker.addEventListener("change", function () { window.location.href = picker.value; }); }

    // --- selection and bulk actions ----------------------------------------------------------
    var bar = root.querySelector("[data-bulk-bar]");
    if (!bar) { return; }
    var allMatching = false;
    var total = parseInt(root.getAttribute("data-total"), 10) || 0;
    var rowBoxes = root.querySelectorAll("[data-select-row]");
    var pageBox = root.querySelector("[data-select-page]");
    var countEl = bar.querySelector("[data-selected-count]");
    var allButton = bar.querySelector("[data-select-all-matching]");

    function selectedIds() {
      return Array.prototype.filter.call(rowBoxes, function (b) { return b.checked; }).map(function (b) { return b.value; });
    }
    function refreshBar() {
      var ids = selectedIds();
      bar.hidden = ids.length === 0 && !allMatching;
      countEl.textContent = allMatching ? total.toLocaleString() : String(ids.length);
      allButton.hidden = allMatching || total <= ids.length;
      if (pageBox) { pageBox.checked = ids.length > 0 && ids.length === rowBoxes.length; }
    }
    rowBoxes.forEach(function (box) { box.addEventListener("change", function () { allMatching = false; refreshBar(); }); });
    if (pageBox) {
      pageBox.addEventListener("change", function () {
        rowBoxes.forEach(function (b) { b.checked = pageBox.checked; });
        allMatching = false;
        refreshBar();
      });
    }
    allButton.addEventListener("click", function () {
      rowBoxes.forEach(function (b) { b.checked = true; });
      allMatching = true;
      refreshBar();
    });

    var actionSelect = bar.querySelector("[data-bulk-action]");
    var newListInput = bar.querySelector("[data-bulk-new-list]");
    function showParam() {
      bar.querySelectorAll("[data-bulk-param]").forEach(function (p) {
        p.hidden = p.getAttribute("data-bulk-param") !== actionSelect.value &&
          !(actionSelect.value === "untag" && p.getAttribute("data-bulk-param") === "tag");
      });
      var listSelect = bar.querySelector("[data-bulk-param=add_to_list]");
      newListInput.hidden = actionSelect.value !== "add_to_list" || listSelect.value !== "new";
    }
    actionSelect.addEventListener("change", showParam);
    bar.querySelector("[data-bulk-param=add_to_list]").addEventListener("change", showParam);
    showParam();

    function selection() {
      if (!allMatching) { return { ids: selectedIds() }; }
      var q = form.querySelector("input[name=q]").value.trim();
      var stage = form.querySelector("select[name=stage]").value;
      var built = builtDocument();
      if (listId && !q && !stage && !built.all && !built.any) { return { list_id: listId }; }
      var view = viewDocument(true);
      delete view.sort;
      return { filter: view };
    }

    function params(action) {
      var value = function (name) { return bar.querySelector("[data-bulk-param=" + name + "]").value; };
      if (action === "stage") { return Promise.resolve({ stage: value("stage") }); }
      if (action === "assign") { return Promise.resolve({ assigned_to_id: value("assign") || null }); }
      if (action === "tag" || action === "untag") { return Promise.resolve({ tags: [value("tag")] }); }
      if (action === "remove_from_list") { return Promise.resolve({ list_id: listId }); }
      if (action === "add_to_list") {
        if (value("add_to_list") !== "new") { return Promise.resolve({ list_id: value("add_to_list") }); }
        return api("POST", "/api/v1/lists", { name: newListInput.value.trim(), kind: "static" })
          .then(function (saved) { return { list_id: saved.id }; });
      }
      return Promise.resolve({});
    }

    var progress = root.querySelector("[data-bulk-progress]");
    var applyButton = bar.querySelector("[data-bulk-apply]");
    applyButton.addEventListener("click", function () {
      var action = actionSelect.value;
      var chosen = selection();
      var count = chosen.ids ? chosen.ids.length : total;
      if (action === "delete" && !window.confirm("Move " + count.toLocaleString() + " properties to the trash?")) { return; }
      applyButton.disabled = true;
      params(action)
        .then(function (p) { return api("POST", "/api/v1/properties/bulk", { action: action, params: p, selection: chosen }); })
        .then(function (started) { follow(started, actionSelect.options[actionSelect.selectedIndex].text); })
        .catch(function (error) { toast(error.message, "error"); applyButton.disabled = false; });
    });

    function follow(started, label) {
      var finished = false;
      progress.hidden = false;
      progress.classList.remove("is-done", "is-failed");
      progress.querySelector("[data-bulk-label]").textContent = label + "…";
      progress.querySelector("[data-bulk-summary]").textContent = "";
      var stream = window.EventSource ? new EventSource("/api/v1/events") : null;
      var poll = null;
      function show(state) {
        if (finished || !state || state.id !== started.id) { return; }
        var totalRows = state.total || 0;
        var pct = state.status === "completed" ? 100 : totalRows ? Math.round(100 * state.done / totalRows) : 0;
        var bar = progress.querySelector("[role=progressbar]");
        bar.setAttribute("aria-valuenow", String(pct));
        progress.querySelector("[data-bulk-fill]").style.width = pct + "%";
        progress.querySelector("[data-bulk-numbers]").textContent =
          totalRows ? state.done.toLocaleString() + " of " + totalRows.toLocaleString() : "Queued";
        if (state.status === "completed" || state.status === "failed") {
          finished = true;
          if (stream) { stream.close(); }
          window.clearInterval(poll);
          var s = state.summary || {};
          progress.classList.add(state.status === "completed" ? "is-done" : "is-failed");
          progress.querySelector("[data-bulk-label]").textContent = state.status === "completed" ? label + " — done" : label + " — failed";
          var text = (s.changed || 0) + " changed, " + (s.unchanged || 0) + " unchanged, " + (s.skipped || 0) + " skipped";
          if (s.errors && s.errors.length) { text += ". First reason: " + s.errors[0].reason; }
          progress.querySelector("[data-bulk-summary]").textContent = text;
          var reload = el("a", { href: window.location.href, "class": "button button-secondary button-sm", text: "Refresh the table" });
          progress.querySelector("[data-bulk-summary]").appendChild(document.createTextNode(" "));
          progress.querySelector("[data-bulk-summary]").appendChild(reload);
          applyButton.disabled = false;
        }
      }
      if (stream) {
        stream.addEventListener("bulk.progress", function (event) {
          try { show(JSON.parse(event.data)); } catch (error) { /* ignore a malformed event */ }
        });
      }
      // The stream can miss the start; a slow poll makes sure the bar always ends.
      poll = window.setInterval(function () {
        api("GET", "/api/v1/bulk-actions/" + started.id).then(show).catch(function () { /* next tick */ });
      }, 1500);
      show(started);
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
