// Web workspace: small progressive enhancements (the pages work without them). No inline script: CSP.
"use strict";
(function () {
  function $(sel, root) { return (root || document).querySelector(sel); }
  function $all(sel, root) { return Array.prototype.slice.call((root || document).querySelectorAll(sel)); }

  // Assessment page: live filter by status / category / search text; expand or collapse every card.
  var cards = $("#cards");
  if (cards) {
    var fStatus = $("#f-status"), fCat = $("#f-category"), fQ = $("#f-q"), count = $("#shown-count");
    var total = $all("details.card", cards).length;
    var apply = function () {
      var s = fStatus.value, c = fCat.value, q = fQ.value.trim();
      var shown = 0;
      $all("details.card", cards).forEach(function (d) {
        var ok = (!s || d.dataset.status === s) && (!c || d.dataset.category === c) &&
          (!q || d.textContent.indexOf(q) >= 0);
        d.hidden = !ok;
        if (ok) { shown += 1; }
      });
      if (count) { count.textContent = "显示 " + shown + " / " + total + " 项(当前页)"; }
    };
    [fStatus, fCat].forEach(function (el) { el.addEventListener("change", apply); });
    fQ.addEventListener("input", apply);
    var toggle = $("[data-toggle-all]");
    if (toggle) {
      toggle.addEventListener("click", function () {
        var all = $all("details.card", cards);
        var open = all.some(function (d) { return !d.open; });
        all.forEach(function (d) { d.open = open; });
      });
    }
  }

  // Review queue: j/k move between items, 1-4 pick a verdict, r focuses the reason, Ctrl+Enter submits.
  var items = $all("[data-review-item]");
  if (items.length) {
    var current = 0;
    var focusItem = function (k) {
      current = Math.max(0, Math.min(items.length - 1, k));
      items[current].focus();
      items[current].scrollIntoView({ block: "start" });
    };
    document.addEventListener("keydown", function (ev) {
      var tag = (ev.target.tagName || "").toLowerCase();
      var typing = tag === "textarea" || (tag === "input" && ev.target.type !== "radio") || tag === "select";
      var item = ev.target.closest ? ev.target.closest("[data-review-item]") : null;
      if (item) { current = items.indexOf(item); }
      if (ev.key === "Enter" && (ev.ctrlKey || ev.metaKey) && item) {
        var form = $("form", item);
        if (form.requestSubmit) { form.requestSubmit(); } else { form.submit(); }
        ev.preventDefault();
        return;
      }
      if (typing || ev.altKey || ev.ctrlKey || ev.metaKey) { return; }
      if (ev.key === "j") { focusItem(current + 1); ev.preventDefault(); }
      else if (ev.key === "k") { focusItem(current - 1); ev.preventDefault(); }
      else if (ev.key === "r") { $("[data-reason]", items[current]).focus(); ev.preventDefault(); }
      else if (/^[1-9]$/.test(ev.key)) {
        var radios = $all("input[type=radio]", items[current]);
        var r = radios[parseInt(ev.key, 10) - 1];
        if (r) { r.checked = true; r.focus(); ev.preventDefault(); }
      }
    });
    if (!location.hash) { /* start at the first item */ } else {
      var target = document.getElementById(location.hash.slice(1));
      if (target && items.indexOf(target) >= 0) { current = items.indexOf(target); }
    }
  }

  // Upload job: poll the progress until the job ends, then show the server-rendered result.
  var job = $("#job");
  if (job && job.dataset.state === "running") {
    var bar = $("#job-progress"), stage = $("#job-stage");
    var poll = function () {
      fetch("/upload/jobs/" + job.dataset.job + ".json", { headers: { "Accept": "application/json" }, credentials: "same-origin" })
        .then(function (r) { return r.json(); })
        .then(function (s) {
          bar.value = s.percent;
          bar.textContent = s.percent + "%";
          stage.textContent = s.stage + "…";
          if (s.state !== "running") { location.reload(); } else { setTimeout(poll, 400); }
        })
        .catch(function () { setTimeout(poll, 1500); });
    };
    setTimeout(poll, 300);
  }
})();
