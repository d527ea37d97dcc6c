#pragma once
// The report page's inline stylesheet and scripts. The page reads fine without the scripts: they
// only sort tables on a header click and record script errors for the page's own tests.

namespace nasctl::report {

inline constexpr const char* kPageStyle = R"css(
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; margin: 0;
       color: #222; background: #f4f5f7; }
header { background: #263238; color: #fff; padding: 14px 28px; }
header h1 { margin: 0 0 6px 0; font-size: 22px; }
header a { color: #cfe3ff; }
main { padding: 8px 28px 40px 28px; max-width: 1180px; }
section { background: #fff; border: 1px solid #dde1e6; border-radius: 6px; padding: 8px 20px 16px 20px;
          margin: 18px 0; }
h2 { font-size: 19px; margin: 10px 0 6px 0; }
h3 { font-size: 15px; margin: 18px 0 6px 0; color: #37474f; }
ul.runs { margin: 0; padding-left: 0; list-style: none; }
ul.runs li { margin: 2px 0; }
.badge { display: inline-block; min-width: 62px; text-align: center; font-size: 11px; border-radius: 3px;
         padding: 1px 6px; color: #fff; }
.badge.search { background: #4e79a7; } .badge.training { background: #59a14f; } .badge.export { background: #b07aa1; }
.unfinished-badge { background: #f28e2b; color: #fff; font-size: 11px; border-radius: 3px; padding: 1px 6px; }
p.unfinished { background: #fff4e5; border-left: 4px solid #f28e2b; padding: 6px 10px; }
.warnings { background: #fdecea; border-left: 4px solid #e15759; padding: 6px 12px; margin: 16px 0; }
.facts { display: flex; flex-wrap: wrap; gap: 10px; margin: 10px 0; }
.fact { background: #f7f9fb; border: 1px solid #e3e7ec; border-radius: 5px; padding: 8px 14px; min-width: 130px; }
.fact .value { font-size: 20px; font-weight: 600; }
.fact .label { font-size: 12px; color: #607d8b; }
.caption { color: #455a64; font-size: 13px; }
.note { color: #78909c; font-style: italic; }
.bad { color: #c62828; } .good { color: #2e7d32; }
.figure { overflow-x: auto; margin: 6px 0; }
table { border-collapse: collapse; font-size: 13px; margin: 6px 0; }
th, td { border-bottom: 1px solid #e3e7ec; padding: 4px 10px; text-align: left; }
th { background: #eceff1; }
table.sortable th { cursor: pointer; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
table.confusion td { text-align: right; min-width: 34px; }
.arch { display: flex; flex-wrap: wrap; gap: 6px; align-items: stretch; margin: 8px 0; }
.block { position: relative; border: 2px solid #999; border-radius: 5px; padding: 4px 8px 8px 8px; min-width: 86px;
         font-size: 12px; background: #fff; }
.block .btype { font-weight: 600; }
.block .bms { font-weight: 600; margin-top: 2px; }
.block .bbound { font-size: 11px; color: #555; }
.block .bshare { position: absolute; left: 0; bottom: 0; height: 4px; background: #263238; }
.block.skip { border-style: dashed; color: #999; min-width: 40px; }
.bound-compute { border-color: #4e79a7; } .bound-memory { border-color: #59a14f; }
.bound-weights { border-color: #e15759; } .bound-overhead { border-color: #bab0ac; } .bound-cpu { border-color: #f28e2b; }
.legend .key { display: inline-block; border: 2px solid; border-radius: 3px; padding: 0 6px; margin-right: 6px;
               font-size: 12px; }
.target { border-top: 1px dashed #ccc; margin-top: 14px; }
code { font-size: 12px; background: #f2f4f6; padding: 1px 4px; border-radius: 3px; }
)css";

/// First in <body>: records script errors (the page's browser test reads them).
inline constexpr const char* kErrorCatcher = R"js(
window.addEventListener('error', function (e) {
  document.body.setAttribute('data-script-errors', (e.message || 'error') + '');
});
)js";

/// Last in <body>: click a table header to sort by that column (numbers by their data-sort key).
inline constexpr const char* kPageScript = R"js(
(function () {
  function key(cell) {
    var k = cell.getAttribute('data-sort');
    return k === null ? cell.textContent.toLowerCase() : parseFloat(k);
  }
  document.querySelectorAll('table.sortable').forEach(function (table) {
    table.querySelectorAll('th').forEach(function (th, column) {
      var ascending = true;
      th.addEventListener('click', function () {
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (a, b) {
          var x = key(a.cells[column]), y = key(b.cells[column]);
          return (x < y ? -1 : x > y ? 1 : 0) * (ascending ? 1 : -1);
        });
        rows.forEach(function (r) { body.appendChild(r); });
        ascending = !ascending;
      });
    });
  });
  document.body.setAttribute('data-script', 'ran');
})();
)js";

}  // namespace nasctl::report
