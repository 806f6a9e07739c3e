// The pipeline board: drag a card to another column (or pick a stage in its "Move to" menu) and
// the move is posted to the JSON API; a refused move snaps back and says why. Columns re-render
// when the team's live events say leads moved or counts changed, so every browser of the team
// sees the same board.
(function () {
  "use strict";

  var board = document.querySelector("[data-board]");
  if (!board) { return; }
  var canMove = board.hasAttribute("data-can-move");
  var query = board.getAttribute("data-query") || "";
  var money = new Intl.NumberFormat("en-US", { style: "currency", currency: "USD", maximumFractionDigits: 0 });
  var dragging = false;
  // Moves this page made itself: their live events need no second re-render.
  var ownMoves = {};

  function toast(message, kind) {
    document.dispatchEvent(new CustomEvent("toast", { detail: { message: message, kind: kind } }));
  }

  function csrfToken() {
    try {
      return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRF-Token"] || "";
    } catch (error) {
      return "";
    }
  }

  function column(stage) { return document.getElementById("board-col-" + stage); }

  function label(stage) {
    var title = document.getElementById("board-col-" + stage + "-title");
    return title ? title.textContent.trim() : stage;
  }

  // A column's count and total follow a move at once; the re-render that follows confirms them.
  function adjust(stage, count, value) {
    var col = column(stage);
    if (!col) { return; }
    var n = (parseInt(col.getAttribute("data-count"), 10) || 0) + count;
    var total = (parseFloat(col.getAttribute("data-total")) || 0) + value;
    col.setAttribute("data-count", String(n));
    col.setAttribute("data-total", String(total));
    col.querySelector("[data-board-count]").textContent = n.toLocaleString("en-US");
    col.querySelector("[data-board-total]").textContent = money.format(total);
  }

  function shift(card, from, to) {
    var value = parseFloat(card.getAttribute("data-value")) || 0;
    adjust(from, -1, -value);
    adjust(to, 1, value);
  }

  // --- live re-rendering --------------------------------------------------------------------

  var pending = { stages: {}, all: false, moves: 0, counts: 0 };
  var timer = null;

  function schedule() {
    window.clearTimeout(timer);
    // Several changes in a burst (a bulk action, an import) cause one re-render.
    timer = window.setTimeout(flush, 250);
  }

  function flush() {
    if (dragging) { schedule(); return; }
    // Every stage move also announces changed counts; counts changed without a move (a new
    // lead, an edited value, a deletion) can touch any column.
    var all = pending.all || pending.counts > pending.moves;
    var stages = Object.keys(pending.stages);
    pending = { stages: {}, all: false, moves: 0, counts: 0 };
    if (!all && !stages.length) { return; }
    var params = query ? query + "&" : "";
    var url = "/pipeline/board?" + params + "stages=" + (all ? "" : stages.join(","));
    window.htmx.ajax("GET", url, { target: board, swap: "none" });
  }

  function refresh(stages) {
    stages.forEach(function (stage) { pending.stages[stage] = true; });
    schedule();
  }

  function listen() {
    if (!window.EventSource) { return; }
    var source = new EventSource("/api/v1/events");
    window.addEventListener("pagehide", function () { source.close(); });
    function data(event) {
      try { return JSON.parse(event.data || "{}"); } catch (error) { return {}; }
    }
    source.addEventListener("property.stage_changed", function (event) {
      var moved = data(event);
      pending.moves += 1;
      if (moved.id && ownMoves[moved.id]) {
        delete ownMoves[moved.id];
      } else {
        pending.stages[moved.from] = true;
        pending.stages[moved.to] = true;
      }
      schedule();
    });
    source.addEventListener("counts.changed", function () { pending.counts += 1; schedule(); });
    source.addEventListener("property.assigned", function () { pending.all = true; schedule(); });
  }

  // --- moves ----------------------------------------------------------------------------------

  function post(card, to) {
    var id = card.getAttribute("data-id");
    ownMoves[id] = true;
    return fetch("/api/v1/properties/" + id + "/stage", {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRF-Token": csrfToken() },
      body: JSON.stringify({ stage: to })
    }).then(function (response) {
      if (response.ok) { return null; }
      delete ownMoves[id];
      return response.json().then(function (body) {
        return (body && body.error && body.error.message) || "The move was refused.";
      }, function () { return "The move was refused (" + response.status + ")."; });
    }, function () {
      delete ownMoves[id];
      return "The server cannot be reached. Check your connection and try again.";
    });
  }

  function refused(card, reason) {
    var text = reason.charAt(0).toUpperCase() + reason.slice(1);
    toast(text, "error");
    card.classList.remove("is-refused");
    void card.offsetWidth; // restart the shake
    card.classList.add("is-refused");
    card.setAttribute("data-refused", text);
  }

  function settle(card, from, to) {
    card.setAttribute("data-stage", to);
    card.removeAttribute("data-refused");
    card.classList.remove("is-refused");
    toast(card.querySelector(".board-card-title").textContent.trim() + " moved to " + label(to) + ".", "success");
    refresh([from, to]);
  }

  // A card dropped in another column: the move is posted; refused, the card goes back where it was.
  function dropped(event) {
    var card = event.item;
    var from = event.from.getAttribute("data-stage");
    var to = event.to.getAttribute("data-stage");
    if (from === to) { return; }
    shift(card, from, to);
    card.classList.add("is-saving");
    post(card, to).then(function (reason) {
      card.classList.remove("is-saving");
      if (reason === null) { settle(card, from, to); return; }
      event.from.insertBefore(card, event.from.children[event.oldIndex] || null);
      shift(card, to, from);
      refused(card, reason);
    });
  }

  // The "Move to" menu: for keyboards, screen readers and phones.
  board.addEventListener("change", function (event) {
    var select = event.target.closest("[data-board-move]");
    if (!select || !select.value) { return; }
    var card = select.closest(".board-card");
    var from = card.getAttribute("data-stage");
    var to = select.value;
    select.disabled = true;
    card.classList.add("is-saving");
    post(card, to).then(function (reason) {
      select.disabled = false;
      select.value = "";
      card.classList.remove("is-saving");
      if (reason !== null) { refused(card, reason); select.focus(); return; }
      var target = column(to);
      var list = target && target.querySelector(".board-cards");
      if (list) { list.insertBefore(card, list.firstChild); } else { card.remove(); }
      shift(card, from, to);
      settle(card, from, to);
      var heading = document.getElementById("board-col-" + to + "-title");
      if (heading) { heading.setAttribute("tabindex", "-1"); heading.focus(); }
    });
  });

  function mark(card) {
    var allowed = (card.getAttribute("data-moves") || "").split(" ");
    board.querySelectorAll(".board-col").forEach(function (col) {
      var stage = col.getAttribute("data-stage");
      if (stage === card.getAttribute("data-stage")) { return; }
      col.classList.add(allowed.indexOf(stage) >= 0 ? "is-drop-ok" : "is-drop-no");
    });
  }

  function unmark() {
    board.querySelectorAll(".board-col").forEach(function (col) {
      col.classList.remove("is-drop-ok", "is-drop-no");
    });
  }

  function sortable(list) {
    if (!canMove || !window.Sortable || list.getAttribute("data-sortable")) { return; }
    list.setAttribute("data-sortable", "1");
    window.Sortable.create(list, {
      group: "board",
      sort: false,
      // Pointer events rather than native drag and drop: the same on mouse and touch, and the
      // card follows the pointer across a board that scrolls sideways.
      forceFallback: true,
      fallbackOnBody: true,
      fallbackTolerance: 4,
      draggable: ".board-card",
      filter: "select, .board-more-row",
      preventOnFilter: false,
      delay: 180,
      delayOnTouchOnly: true,
      animation: 150,
      ghostClass: "is-ghost",
      chosenClass: "is-chosen",
      dragClass: "is-dragging",
      onStart: function (event) { dragging = true; mark(event.item); },
      onEnd: function (event) { dragging = false; unmark(); dropped(event); }
    });
  }

  function init(root) {
    if (root.matches && root.matches(".board-cards")) { sortable(root); }
    if (root.querySelectorAll) { root.querySelectorAll(".board-cards").forEach(sortable); }
  }

  // Filters: the URL carries only the ones chosen (a board link to share stays short).
  var filters = document.querySelector(".board-filters");
  if (filters) {
    filters.addEventListener("submit", function (event) {
      event.preventDefault();
      var params = new URLSearchParams();
      new FormData(filters).forEach(function (value, name) {
        if (value && !(name === "sort" && value === "score")) { params.append(name, value); }
      });
      var search = params.toString();
      window.location.assign(filters.getAttribute("action") + (search ? "?" + search : ""));
    });
  }

  init(board);
  // Columns swapped in by a re-render, and cards added by "Show more".
  document.addEventListener("htmx:load", function (event) { init(event.target); });
  document.addEventListener("htmx:oobAfterSwap", function (event) { init(event.detail.target || event.target); });
  listen();
})();
