// cnimgr dashboard: show <time datetime> in the browser's time zone; tell forms which zone that is.
(function () {
  "use strict";
  var zone = "UTC";
  try { zone = Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC"; } catch (e) { /* old browser: UTC */ }
  var formats = {
    datetime: { year: "numeric", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" },
    time: { hour: "2-digit", minute: "2-digit", second: "2-digit" },
    date: { year: "numeric", month: "short", day: "numeric" }
  };

  function localize(root) {
    if (!root || !root.querySelectorAll) { return; }
    root.querySelectorAll("time[datetime]:not([data-local])").forEach(function (el) {
      var when = new Date(el.getAttribute("datetime"));
      if (isNaN(when.getTime())) { return; }
      var options = formats[el.dataset.format] || formats.datetime;
      el.textContent = when.toLocaleString(undefined, options);
      el.title = when.toLocaleString(undefined, { dateStyle: "full", timeStyle: "long" }) + " (" + el.getAttribute("datetime") + ")";
      el.dataset.local = "1";
    });
    root.querySelectorAll("[data-tz]").forEach(function (el) { el.textContent = zone; });
    root.querySelectorAll("input[data-tz-input]").forEach(function (el) { if (!el.value) { el.value = zone; } });
  }

  document.addEventListener("DOMContentLoaded", function () { localize(document); });
  document.addEventListener("htmx:load", function (event) { localize(event.detail.elt); });
  document.addEventListener("htmx:oobAfterSwap", function (event) { localize(event.detail.target); });
})();
