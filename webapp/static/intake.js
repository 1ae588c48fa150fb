/* The intake desk without surprises: the plain file input and form work without this script.
   It adds drag and drop onto the upload box, and keeps a running batch's page up to date by
   reading its JSON twin and reloading when something changed. */
(function () {
  "use strict";
  var zone = document.getElementById("drop-zone");
  var input = document.getElementById("files");
  var chosen = document.getElementById("files-chosen");
  function describe() {
    if (!chosen || !input) return;
    var n = input.files ? input.files.length : 0;
    chosen.textContent = n ? "已选择 " + n + " 个文件。" : "";
  }
  if (zone && input) {
    input.addEventListener("change", describe);
    ["dragenter", "dragover"].forEach(function (name) {
      zone.addEventListener(name, function (event) {
        event.preventDefault();
        zone.classList.add("dragging");
      });
    });
    ["dragleave", "drop"].forEach(function (name) {
      zone.addEventListener(name, function () { zone.classList.remove("dragging"); });
    });
    zone.addEventListener("drop", function (event) {
      event.preventDefault();
      if (event.dataTransfer && event.dataTransfer.files.length) {
        input.files = event.dataTransfer.files;
        describe();
      }
    });
  }

  var status = document.getElementById("batch-status");
  if (status && status.dataset.finished === "no") {
    var seen = null;
    var poll = function () {
      fetch(status.dataset.json, { headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then(function (r) { return r.json(); })
        .then(function (batch) {
          var now = batch.processed + "/" + batch.state;
          if (seen !== null && now !== seen) { window.location.reload(); return; }
          seen = now;
          if (!batch.finished) { window.setTimeout(poll, 1000); } else { window.location.reload(); }
        })
        .catch(function () { window.setTimeout(poll, 3000); });
    };
    poll();
  }
})();
