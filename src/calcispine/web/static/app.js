// calcispine: small progressive enhancements; every page works without this file.
(function () {
  "use strict";
  if (window.matchMedia("(max-width: 720px)").matches) {
    document.querySelectorAll("details.filter-box").forEach(function (d) { d.open = false; });
  }
  document.querySelectorAll("select[data-autosubmit]").forEach(function (sel) {
    sel.addEventListener("change", function () { sel.form.submit(); });
  });

  // HPO autocomplete on textareas marked data-hpo: suggestions from /api/hpo, the chosen id appended as a line.
  function lastLine(text) { var lines = text.split("\n"); return lines[lines.length - 1]; }
  document.querySelectorAll("textarea[data-hpo]").forEach(function (area) {
    var wrap = document.createElement("div");
    wrap.className = "hpo-suggest";
    area.parentNode.insertBefore(wrap, area);
    wrap.appendChild(area);
    var list = document.createElement("ul");
    list.className = "hpo-list";
    list.setAttribute("role", "listbox");
    list.hidden = true;
    wrap.appendChild(list);
    var timer = null, active = -1, seq = 0;
    function close() { list.hidden = true; list.innerHTML = ""; active = -1; }
    function choose(li) {
      var lines = area.value.split("\n");
      lines[lines.length - 1] = li.dataset.id + " " + li.dataset.label;
      area.value = lines.join("\n") + "\n";
      close();
      area.focus();
    }
    function render(items) {
      list.innerHTML = "";
      items.forEach(function (t, i) {
        var li = document.createElement("li");
        li.setAttribute("role", "option");
        li.dataset.id = t.id;
        li.dataset.label = t.label;
        li.textContent = t.label + " (" + t.id + ")";
        li.addEventListener("mousedown", function (e) { e.preventDefault(); choose(li); });
        list.appendChild(li);
      });
      list.hidden = items.length === 0;
      active = -1;
    }
    area.addEventListener("input", function () {
      var q = lastLine(area.value).trim();
      clearTimeout(timer);
      if (q.length < 2 || /^HP:\d{7}/i.test(q)) { close(); return; }
      timer = setTimeout(function () {
        var mine = ++seq;
        fetch("/api/hpo?q=" + encodeURIComponent(q) + "&limit=10", { headers: { Accept: "application/json" } })
          .then(function (r) { return r.ok ? r.json() : []; })
          .then(function (items) { if (mine === seq) { render(items); } })
          .catch(close);
      }, 150);
    });
    area.addEventListener("keydown", function (e) {
      var items = list.querySelectorAll("li");
      if (list.hidden || !items.length) { return; }
      if (e.key === "ArrowDown" || e.key === "ArrowUp") {
        e.preventDefault();
        active = (active + (e.key === "ArrowDown" ? 1 : items.length - 1)) % items.length;
        items.forEach(function (li, i) { li.setAttribute("aria-selected", i === active ? "true" : "false"); });
      } else if (e.key === "Enter" && active >= 0) {
        e.preventDefault();
        choose(items[active]);
      } else if (e.key === "Escape") { close(); }
    });
    area.addEventListener("blur", function () { setTimeout(close, 150); });
  });

  // Lab rows: offer the chosen analyte's units.
  document.querySelectorAll(".lab-row select").forEach(function (sel) {
    var unit = sel.parentNode.querySelector("input[name=lab_unit]");
    function update() {
      var opt = sel.options[sel.selectedIndex];
      var units = opt && opt.dataset.units ? opt.dataset.units.split("|") : [];
      if (!units.length) { return; }
      var id = "units-" + sel.value;
      var dl = document.getElementById(id);
      if (!dl) {
        dl = document.createElement("datalist");
        dl.id = id;
        units.forEach(function (u) { var o = document.createElement("option"); o.value = u; dl.appendChild(o); });
        document.body.appendChild(dl);
      }
      unit.setAttribute("list", id);
      if (!unit.value) { unit.value = units[0]; }
    }
    sel.addEventListener("change", update);
  });
})();
