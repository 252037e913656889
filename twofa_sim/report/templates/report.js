/* report.html: filters that follow the URL hash, copy, expand/collapse, print everything.
   Plain DOM, no libraries, no network; every value read from the page is compared as text. */
(function () {
  "use strict";
  var KEYS = ["verdict", "tag", "requirement"];
  var scenarios = Array.prototype.slice.call(document.querySelectorAll("section.scenario"));
  var selects = {
    verdict: document.getElementById("filter-verdict"),
    tag: document.getElementById("filter-tag"),
    requirement: document.getElementById("filter-requirement")
  };
  var shown = document.getElementById("shown-count");
  var section = document.getElementById("scenarios");

  function words(text) {
    return (text || "").split(/\s+/).filter(function (w) { return w !== ""; });
  }

  function decode(text) {
    try { return decodeURIComponent(text.replace(/\+/g, " ")); } catch (e) { return text; }
  }

  /* "#verdict=failed&tag=sms" -> {verdict: "failed", tag: "sms"}; null for an anchor like
     "#scenario-x" (no "="), which is a place in the page, not a filter. */
  function readHash() {
    var hash = window.location.hash.replace(/^#/, "");
    if (hash.indexOf("=") < 0) { return null; }
    var state = {};
    hash.split("&").forEach(function (part) {
      var at = part.indexOf("=");
      if (at > 0) { state[decode(part.slice(0, at))] = decode(part.slice(at + 1)); }
    });
    return state;
  }

  function choose(select, value) {
    if (!select) { return; }
    value = value || "";
    var known = Array.prototype.some.call(select.options, function (o) { return o.value === value; });
    if (!known) {
      /* A value from a shared link that this run lacks: keep it (it shows 0 scenarios). */
      var option = document.createElement("option");
      option.value = value;
      option.textContent = value + " (none in this run)";
      select.appendChild(option);
    }
    select.value = value;
  }

  function current() {
    var state = {};
    KEYS.forEach(function (key) { state[key] = selects[key] ? selects[key].value : ""; });
    return state;
  }

  function apply() {
    var state = current();
    var count = 0;
    scenarios.forEach(function (s) {
      var ok = (!state.verdict || s.getAttribute("data-verdict") === state.verdict) &&
        (!state.tag || words(s.getAttribute("data-tags")).indexOf(state.tag) >= 0) &&
        (!state.requirement || words(s.getAttribute("data-covers")).indexOf(state.requirement) >= 0);
      if (ok) { s.removeAttribute("hidden"); count += 1; } else { s.setAttribute("hidden", ""); }
    });
    if (shown) {
      shown.textContent = count + " of " + scenarios.length + " scenario" +
        (scenarios.length === 1 ? "" : "s") + " shown";
    }
  }

  function writeHash() {
    var state = current();
    var parts = KEYS.filter(function (k) { return state[k]; }).map(function (k) {
      return k + "=" + encodeURIComponent(state[k]);
    });
    var hash = parts.length ? "#" + parts.join("&") : "";
    if (hash === window.location.hash || (!hash && readHash() === null)) { return; }
    try {
      history.replaceState(null, "", hash || window.location.pathname + window.location.search);
    } catch (e) {
      window.location.hash = hash;
    }
  }

  function fromHash(scroll) {
    var state = readHash();
    if (state !== null) {
      KEYS.forEach(function (k) { choose(selects[k], state[k]); });
      apply();
      if (scroll && section) { section.scrollIntoView(); }
      return;
    }
    /* An in-page link to a scenario the filters hide: show everything, then go there. */
    var id = decode(window.location.hash.replace(/^#/, ""));
    var target = id ? document.getElementById(id) : null;
    if (target && target.hasAttribute("hidden")) {
      KEYS.forEach(function (k) { choose(selects[k], ""); });
      apply();
      target.scrollIntoView();
    }
  }

  KEYS.forEach(function (key) {
    if (selects[key]) {
      selects[key].addEventListener("change", function () { apply(); writeHash(); });
    }
  });
  window.addEventListener("hashchange", function () { fromHash(true); });

  var reset = document.getElementById("filter-reset");
  if (reset) {
    reset.addEventListener("click", function () {
      KEYS.forEach(function (k) { choose(selects[k], ""); });
      apply();
      writeHash();
    });
  }

  function openAll(open, selector) {
    Array.prototype.forEach.call(document.querySelectorAll(selector || "details.steps"), function (d) {
      d.open = open;
    });
  }
  var expand = document.getElementById("expand-all");
  var collapse = document.getElementById("collapse-all");
  if (expand) { expand.addEventListener("click", function () { openAll(true); }); }
  if (collapse) { collapse.addEventListener("click", function () { openAll(false); }); }

  /* Paper gets every timeline open; the screen gets its own state back afterwards. */
  var before = null;
  window.addEventListener("beforeprint", function () {
    var all = document.querySelectorAll("details");
    before = Array.prototype.map.call(all, function (d) { return d.open; });
    openAll(true, "details");
  });
  window.addEventListener("afterprint", function () {
    if (before === null) { return; }
    var all = document.querySelectorAll("details");
    Array.prototype.forEach.call(all, function (d, i) { d.open = before[i]; });
    before = null;
  });

  Array.prototype.forEach.call(document.querySelectorAll("button.copy"), function (button) {
    button.addEventListener("click", function () {
      var source = document.getElementById(button.getAttribute("data-copy"));
      if (!source) { return; }
      var text = source.textContent;
      function done() {
        button.textContent = "Copied";
        window.setTimeout(function () { button.textContent = "Copy"; }, 1500);
      }
      function fallback() {
        var range = document.createRange();
        range.selectNodeContents(source);
        var selection = window.getSelection();
        selection.removeAllRanges();
        selection.addRange(range);
        try { if (document.execCommand("copy")) { done(); } } catch (e) { /* selected: Ctrl+C */ }
      }
      if (navigator.clipboard && navigator.clipboard.writeText) {
        navigator.clipboard.writeText(text).then(done, fallback);
      } else {
        fallback();
      }
    });
  });

  fromHash(false);
})();
