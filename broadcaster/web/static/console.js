// The console's own script, besides htmx: the station clock in the header and the position
// of what is on air, ticking between the server's updates (the server's time is the truth:
// the difference from this device's clock is measured once per page); the name of a file
// picked for upload.
(function () {
  "use strict";
  var clock = document.getElementById("clock");
  if (!clock) { return; }
  var skewMs = Number(clock.dataset.epochMs) - Date.now();
  var offsetMs = Number(clock.dataset.offsetMin) * 60000;

  function two(n) { return n < 10 ? "0" + n : String(n); }
  function span(seconds) {
    var s = Math.max(0, Math.floor(seconds));
    var h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60);
    return (h ? h + ":" + two(m) : String(m)) + ":" + two(s % 60);
  }
  function tick() {
    var nowMs = Date.now() + skewMs;
    var wall = new Date(nowMs + offsetMs);  // read in UTC: the station's wall clock
    clock.textContent = two(wall.getUTCHours()) + ":" + two(wall.getUTCMinutes()) + ":" +
      two(wall.getUTCSeconds());
    var playing = document.querySelectorAll("[data-since]");
    for (var i = 0; i < playing.length; i++) {
      var el = playing[i];
      var at = Number(el.dataset.offset) + nowMs / 1000 - Number(el.dataset.since);
      var length = el.dataset.duration ? Number(el.dataset.duration) : null;
      el.textContent = span(length === null ? at : Math.min(at, length)) +
        (length === null ? "" : " / " + span(length));
    }
  }
  tick();
  window.setInterval(tick, 1000);

  // the name of the file picked for upload, where the browser's own words would be
  var chosen = document.querySelectorAll("[data-for]");
  for (var j = 0; j < chosen.length; j++) {
    (function (shown) {
      var input = document.getElementById(shown.dataset.for);
      if (!input) { return; }
      input.addEventListener("change", function () {
        if (input.files && input.files.length) { shown.textContent = input.files[0].name; }
      });
    })(chosen[j]);
  }
})();
