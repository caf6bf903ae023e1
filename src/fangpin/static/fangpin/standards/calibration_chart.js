/* Calibration chart: spending percentiles per segment, the candidate lines and the line in force.
 * The figure comes from the page as JSON (json_script "chart-data"); the label of the line in force
 * from the chart element's data-current-label. */
(function () {
  "use strict";
  var chart = document.getElementById("calibration-chart");
  var source = document.getElementById("chart-data");
  if (!chart || !source || !window.Plotly) { return; }
  var data = JSON.parse(source.textContent);
  var traces = data.series.map(function (s) { return {type: "bar", name: s.name, x: data.segments, y: s.values}; });
  var shapes = [], notes = [];
  data.lines.forEach(function (line) {
    shapes.push({type: "line", xref: "paper", x0: 0, x1: 1, y0: line.value, y1: line.value,
                 line: {dash: "dot", width: 1, color: "#198754"}});
    notes.push({xref: "paper", x: 1, y: line.value, text: line.name, showarrow: false, xanchor: "left",
                font: {size: 10, color: "#198754"}});
  });
  if (data.current) {
    shapes.push({type: "line", xref: "paper", x0: 0, x1: 1, y0: data.current, y1: data.current,
                 line: {width: 2, color: "#dc3545"}});
    notes.push({xref: "paper", x: 0, y: data.current, text: chart.dataset.currentLabel, showarrow: false,
                xanchor: "left", yanchor: "bottom", font: {size: 11, color: "#dc3545"}});
  }
  window.Plotly.newPlot(chart, traces, {
    barmode: "group", margin: {t: 30, r: 40, l: 60, b: 60}, shapes: shapes, annotations: notes,
    yaxis: {title: {text: data.title}, rangemode: "tozero"}, legend: {orientation: "h", y: 1.12}
  }, {responsive: true, displaylogo: false});
})();
