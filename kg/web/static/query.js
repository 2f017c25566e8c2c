/* The query page: CodeMirror editor, run via fetch, results as a table, entity search. */
(function () {
  "use strict";
  var form = document.getElementById("query-form");
  var endpoint = form.dataset.endpoint;
  var searchUrl = form.dataset.search;
  var root = endpoint.replace(/\/sparql$/, "");
  var ID_NS = "https://w3id.org/edukg/id/";
  var textarea = document.getElementById("query");
  var editor = window.CodeMirror
    ? CodeMirror.fromTextArea(textarea, { mode: "application/sparql-query", lineNumbers: true, indentUnit: 2 })
    : null;
  var statusEl = document.getElementById("status");
  var results = document.getElementById("results");
  var texts = JSON.parse(document.getElementById("query-texts").textContent);

  function queryText() { return editor ? editor.getValue() : textarea.value; }
  function setQuery(text) { if (editor) { editor.setValue(text); } else { textarea.value = text; } }

  function termNode(term) {
    if (!term) { return document.createTextNode(""); }
    if (term.type === "uri" && /^https?:/i.test(term.value)) {
      var a = document.createElement("a");
      a.href = term.value.indexOf(ID_NS) === 0 ? root + "/id/" + term.value.slice(ID_NS.length) : term.value;
      a.textContent = term.value.indexOf(ID_NS) === 0 ? "id:" + term.value.slice(ID_NS.length) : term.value;
      a.title = term.value;
      return a;
    }
    var span = document.createElement("span");
    span.textContent = term.value + (term["xml:lang"] ? " @" + term["xml:lang"] : "");
    return span;
  }

  function renderJson(data, truncated) {
    results.textContent = "";
    if (typeof data.boolean === "boolean") {
      results.textContent = "ASK: " + data.boolean;
      return;
    }
    var vars = data.head.vars, rows = data.results.bindings;
    var table = document.createElement("table");
    table.className = "results";
    var head = table.createTHead().insertRow();
    vars.forEach(function (v) { var th = document.createElement("th"); th.textContent = v; head.appendChild(th); });
    var body = table.createTBody();
    rows.forEach(function (row) {
      var tr = body.insertRow();
      vars.forEach(function (v) { tr.insertCell().appendChild(termNode(row[v])); });
    });
    statusEl.textContent = rows.length + " row" + (rows.length === 1 ? "" : "s") + (truncated ? " (cut at the row limit)" : "");
    results.appendChild(table);
  }

  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    statusEl.textContent = "running…";
    var started = performance.now();
    fetch(endpoint, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded",
                 "Accept": "application/sparql-results+json, text/turtle;q=0.9" },
      body: new URLSearchParams({ query: queryText() })
    }).then(function (resp) {
      var type = resp.headers.get("Content-Type") || "";
      var truncated = resp.headers.get("X-KG-Truncated");
      if (!resp.ok) {
        return resp.json().then(function (e) { throw new Error(e.error || resp.statusText); },
                                function () { throw new Error(resp.status + " " + resp.statusText); });
      }
      if (type.indexOf("json") >= 0) {
        return resp.json().then(function (data) { renderJson(data, truncated); });
      }
      return resp.text().then(function (text) {
        results.textContent = "";
        var pre = document.createElement("pre");
        pre.textContent = text;
        results.appendChild(pre);
        statusEl.textContent = "graph result";
      });
    }).then(function () {
      statusEl.textContent += " · " + Math.round(performance.now() - started) + " ms";
    }).catch(function (err) {
      results.textContent = "";
      var p = document.createElement("p");
      p.className = "error";
      p.textContent = err.message;
      results.appendChild(p);
      statusEl.textContent = "error";
    });
  });

  document.getElementById("examples").addEventListener("change", function (ev) {
    var i = ev.target.selectedIndex - 1;
    if (i >= 0) { setQuery(texts[i]); }
  });

  document.getElementById("download").addEventListener("click", function () {
    var fmt = document.getElementById("format").value;
    window.location = endpoint + "?" + new URLSearchParams({ query: queryText(), format: fmt }).toString();
  });

  var searchBox = document.getElementById("entity-search");
  var hitsEl = document.getElementById("search-hits");
  var timer = null;
  searchBox.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(function () {
      var q = searchBox.value.trim();
      hitsEl.textContent = "";
      if (!q) { return; }
      fetch(searchUrl + "?" + new URLSearchParams({ q: q, format: "json", limit: "10" }))
        .then(function (r) { return r.json(); })
        .then(function (data) {
          hitsEl.textContent = "";
          data.hits.forEach(function (h) {
            var li = document.createElement("li");
            var a = document.createElement("a");
            a.href = h.href || h.iri;
            a.textContent = h.label;
            li.appendChild(a);
            li.appendChild(document.createTextNode(" " + h.kind + " — <" + h.iri + ">"));
            hitsEl.appendChild(li);
          });
        });
    }, 200);
  });
})();
