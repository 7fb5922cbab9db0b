# ruff: noqa: E501  (HTML lines are kept whole so the markup stays readable)
"""The Jinja2 template of the HTML scan report: one file, inline CSS and script, no external assets."""

TEMPLATE = r"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
<title>sshdoctor scan, {{ when }}</title>
<style>
  :root { --ok: #1a7f37; --fail: #cf222e; --warn: #9a6700; --na: #8c959f; --bg: #f6f8fa; --line: #d0d7de; }
  body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0; color: #1f2328; }
  header { background: #24292f; color: #fff; padding: 14px 24px; }
  header h1 { margin: 0; font-size: 20px; }
  header p { margin: 4px 0 0; color: #d0d7de; }
  main { padding: 16px 24px; }
  h2 { font-size: 17px; border-bottom: 1px solid var(--line); padding-bottom: 4px; margin-top: 28px; }
  .cards { display: flex; gap: 12px; flex-wrap: wrap; }
  .card { border: 1px solid var(--line); border-radius: 6px; padding: 10px 16px; min-width: 130px; background: var(--bg); }
  .card .n { display: block; font-size: 26px; font-weight: 600; }
  .card.ok .n { color: var(--ok); } .card.fails .n { color: var(--fail); }
  .card.unreachable .n { color: var(--warn); } .card.unpredicted .n, .card.invalid .n { color: var(--na); }
  table { border-collapse: collapse; }
  th, td { border-bottom: 1px solid var(--line); padding: 4px 8px; text-align: left; vertical-align: top; }
  th { background: var(--bg); position: sticky; top: 0; }
  .status { font-weight: 600; }
  .status.ok { color: var(--ok); } .status.fails { color: var(--fail); }
  .status.unreachable { color: var(--warn); } .status.unpredicted, .status.invalid { color: var(--na); }
  code, pre { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 12.5px; }
  pre { background: var(--bg); border: 1px solid var(--line); padding: 10px; overflow-x: auto; }
  .filters { display: flex; gap: 12px; align-items: center; margin: 8px 0; flex-wrap: wrap; }
  .heat td.cell { text-align: center; width: 4.5em; font-weight: 600; }
  .heat td.cell.ok { background: #dafbe1; color: var(--ok); }
  .heat td.cell.fail { background: #ffebe9; color: var(--fail); }
  .heat td.cell.na { background: #eaeef2; color: var(--na); }
  .heat th.rot { white-space: nowrap; }
  .grade { font-weight: 700; text-align: center; }
  .grade-a { color: #1a7f37; background: #dafbe1; } .grade-b { color: #2c7a3f; background: #e6f6e9; }
  .grade-c { color: #9a6700; background: #fff8c5; } .grade-d { color: #bc4c00; background: #fff1e5; }
  .grade-e, .grade-f { color: #cf222e; background: #ffebe9; }
  details.host { border: 1px solid var(--line); border-radius: 6px; margin: 8px 0; padding: 6px 12px; }
  details.host summary { cursor: pointer; font-weight: 600; }
  .muted { color: #656d76; }
  .bad { color: var(--fail); } .weak { color: var(--warn); }
  .hidden { display: none; }
</style>
</head>
<body>
<header>
  <h1>sshdoctor scan</h1>
  <p>{{ when }} · {{ stats.hosts }} host(s) in {{ "%.1f"|format(stats.seconds) }} s{% if stats.interrupted %} · interrupted: only finished hosts are shown{% endif %} · client: {{ client }}</p>
</header>
<main>
<section id="summary">
  <h2>Fleet summary</h2>
  <div class="cards">
    <div class="card total" id="count-total"><span class="n">{{ stats.hosts }}</span>hosts scanned</div>
    {% for status, words in status_words %}
    <div class="card {{ status }}" id="count-{{ status }}"><span class="n">{{ counts.get(status, 0) }}</span>{{ words }}</div>
    {% endfor %}
  </div>
  {% if grades %}<p class="muted">Audit grades (offered algorithms only): {% for g, n in grades %}<b>{{ g }}</b>: {{ n }}{% if not loop.last %} · {% endif %}{% endfor %}</p>{% endif %}
  {% if fragment %}
  <h2>One ~/.ssh/config fragment for the whole fleet</h2>
  <pre id="fragment">{{ fragment }}</pre>
  {% endif %}
  {% if unfixable %}
  <p class="bad">{{ unfixable|length }} host(s) cannot be reached by any change of the local ssh: {% for name, cats in unfixable %}{{ name }} (no common {{ cats|join(", ") }}){% if not loop.last %}; {% endif %}{% endfor %}</p>
  {% endif %}
</section>

<section id="hosts">
  <h2>Hosts</h2>
  <div class="filters">
    <label>status <select id="filter-status">
      <option value="">all</option>
      {% for status, words in status_words %}<option value="{{ status }}">{{ status }}</option>{% endfor %}
    </select></label>
    <label>search <input id="filter-text" type="search" placeholder="name, banner, algorithm…"></label>
    <label><input id="filter-fix" type="checkbox"> only hosts that need a change</label>
    <span class="muted" id="shown-count"></span>
  </div>
  <table id="host-table">
    <thead><tr><th>host</th><th>status</th><th>software</th><th>grade</th><th>fails in</th><th>fix / error</th></tr></thead>
    <tbody>
    {% for h in hosts %}
    <tr class="host-row" data-status="{{ h.status }}" data-fix="{{ 'yes' if h.fix_text else 'no' }}" data-text="{{ h.search }}">
      <td><a href="#host-{{ loop.index }}">{{ h.name }}</a>{% if h.where != h.name %} <span class="muted">{{ h.where }}</span>{% endif %}</td>
      <td class="status {{ h.status }}">{{ h.status }}</td>
      <td>{{ h.software }}</td>
      <td class="grade {{ h.grade_css }}">{{ h.grade }}</td>
      <td class="bad">{{ h.failures }}</td>
      <td>{% if h.fix_text %}<code>{{ h.fix_text }}</code>{% else %}<span class="muted">{{ h.error }}</span>{% endif %}</td>
    </tr>
    {% endfor %}
    </tbody>
  </table>
</section>

<section id="heatmap">
  <h2>Compatibility: host × client</h2>
  <p class="muted">✔ key exchange would succeed · ✘ no common algorithm (the first failing category is shown) · – not known.
  Hosts that could not be reached are not in the map (they are in the table above).</p>
  <table class="heat" id="heat-table">
    <thead><tr><th>host</th>{% for col in columns %}<th class="rot" title="{{ col.label }}">{{ col.id }}</th>{% endfor %}</tr></thead>
    <tbody>
    {% for h in hosts if h.in_heat %}
    <tr class="heat-row" data-status="{{ h.status }}" data-fix="{{ 'yes' if h.fix_text else 'no' }}" data-text="{{ h.search }}">
      <td>{{ h.name }}</td>
      {% for cell in h.cells %}<td class="cell {{ cell.css }}" title="{{ cell.title }}">{{ cell.text }}</td>{% endfor %}
    </tr>
    {% endfor %}
    </tbody>
    <tfoot><tr><th>reaches</th>{% for col in columns %}<th>{{ col.ok }}/{{ col.known }}</th>{% endfor %}</tr></tfoot>
  </table>
</section>

<section id="details">
  <h2>Per-host details</h2>
  {% for h in hosts %}
  <details class="host" id="host-{{ loop.index }}" data-status="{{ h.status }}">
    <summary><span class="status {{ h.status }}">{{ h.status }}</span> {{ h.name }} <span class="muted">{{ h.where }}</span></summary>
    <p>banner: <code>{{ h.banner or "–" }}</code>{% if h.address %} · address {{ h.address }}{% endif %} · source: {{ h.source }}{% if h.attempts > 1 %} · {{ h.attempts }} attempts{% endif %}</p>
    {% if h.error %}<p class="bad">{{ h.error }}</p>{% endif %}
    {% if h.first_failure %}<p class="bad">your ssh would say: no matching {{ h.first_failure }} found</p>{% endif %}
    {% if h.one_off %}<p>one-off: <code>{{ h.one_off }}</code></p>{% endif %}
    {% for risk in h.risks %}<p class="weak">{{ risk }}</p>{% endfor %}
    {% if h.diff %}<p><b>since the last scan:</b> {{ h.diff|join("; ") }}</p>{% endif %}
    {% if h.offer %}
    <table>
      <thead><tr><th>list</th><th>offered</th><th>your ssh chose</th></tr></thead>
      <tbody>{% for slot, names, chosen in h.offer %}<tr><td>{{ slot }}</td><td><code>{{ names }}</code></td><td><code>{{ chosen }}</code></td></tr>{% endfor %}</tbody>
    </table>
    {% endif %}
    {% if h.findings %}
    <p><b>audit findings</b></p>
    <ul>{% for f in h.findings %}<li class="{{ 'bad' if f.severity == 'fail' else 'weak' }}">{{ f.severity }}: {{ f.text }}</li>{% endfor %}</ul>
    {% endif %}
  </details>
  {% endfor %}
</section>
</main>
<script>
(function () {
  var status = document.getElementById("filter-status");
  var text = document.getElementById("filter-text");
  var fix = document.getElementById("filter-fix");
  var shown = document.getElementById("shown-count");
  function apply() {
    var s = status.value, t = text.value.toLowerCase(), f = fix.checked, n = 0;
    document.querySelectorAll("tr.host-row, tr.heat-row").forEach(function (row) {
      var ok = (!s || row.dataset.status === s) && (!t || row.dataset.text.indexOf(t) >= 0) && (!f || row.dataset.fix === "yes");
      row.classList.toggle("hidden", !ok);
      if (ok && row.classList.contains("host-row")) { n++; }
    });
    shown.textContent = n + " shown";
  }
  [status, text, fix].forEach(function (el) { el.addEventListener("input", apply); el.addEventListener("change", apply); });
  apply();
})();
</script>
</body>
</html>
"""
