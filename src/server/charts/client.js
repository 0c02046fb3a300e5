// Draws each chart of a dashboard page with Chart.js (loaded before this
// module, see assets.ts) from the table of numbers in its figure: the table is
// what the server sends, and what a reader without JavaScript gets. Once the
// chart is drawn the table folds away under "Numbers", one click from view.

/** @type {Record<string, [colour: string, pattern: string]>} */
const LOOKS = {
  // Okabe–Ito colours, told apart by most colour-blind readers, and a pattern each
  // so that no series is told by colour alone (the legend shows both).
  created: ['#009E73', 'solid'],
  updated: ['#0072B2', 'diagonal'],
  unchanged: ['#C8C8C8', 'dots'],
  linked: ['#56B4E9', 'horizontal'],
  conflict: ['#E69F00', 'cross'],
  ambiguous: ['#F0E442', 'vertical'],
  rejected: ['#CC79A7', 'back-diagonal'],
  failed: ['#D55E00', 'grid'],
  retrying: ['#999999', 'zigzag'],
  'duplicate-suspected': ['#A6761D', 'rings'],
  decided: ['#7E6BC4', 'dashes'],
};
const OTHERS = Object.values(LOOKS);
const INK = '#1d2433';

/** A fill of `colour` hatched with `kind`, as a repeating 10 px tile. */
function fill(colour, kind) {
  if (kind === 'solid') return colour;
  const tile = document.createElement('canvas');
  tile.width = 10;
  tile.height = 10;
  const ctx = tile.getContext('2d');
  ctx.fillStyle = colour;
  ctx.fillRect(0, 0, 10, 10);
  ctx.strokeStyle = 'rgba(29, 36, 51, 0.6)';
  ctx.fillStyle = ctx.strokeStyle;
  ctx.lineWidth = 1.5;
  ctx.beginPath();
  const line = (x1, y1, x2, y2) => {
    ctx.moveTo(x1, y1);
    ctx.lineTo(x2, y2);
  };
  const diagonal = () => {
    line(0, 10, 10, 0);
    line(-5, 5, 5, -5);
    line(5, 15, 15, 5);
  };
  const backDiagonal = () => {
    line(0, 0, 10, 10);
    line(-5, 5, 5, 15);
    line(5, -5, 15, 5);
  };
  const patterns = {
    diagonal,
    'back-diagonal': backDiagonal,
    cross: () => {
      diagonal();
      backDiagonal();
    },
    horizontal: () => line(0, 5, 10, 5),
    vertical: () => line(5, 0, 5, 10),
    grid: () => {
      line(0, 5, 10, 5);
      line(5, 0, 5, 10);
    },
    dots: () => ctx.arc(5, 5, 1.8, 0, 2 * Math.PI),
    rings: () => ctx.arc(5, 5, 3, 0, 2 * Math.PI),
    zigzag: () => {
      ctx.moveTo(0, 7);
      for (const [x, y] of [
        [2.5, 3],
        [5, 7],
        [7.5, 3],
        [10, 7],
      ])
        ctx.lineTo(x, y);
    },
    dashes: () => {
      line(1, 3, 4, 3);
      line(6, 8, 9, 8);
    },
  };
  patterns[kind]?.();
  if (kind === 'dots') ctx.fill();
  ctx.stroke();
  return ctx.createPattern(tile, 'repeat');
}

/** The figure's series, from its table's head: one per column after the row headers. */
function seriesOf(table) {
  return [...table.tHead.rows[0].cells].slice(1).map((th) => ({
    key: th.dataset.series,
    label: th.textContent.trim(),
    line: th.dataset.line !== undefined,
  }));
}

const numberIn = (cell) => (cell.dataset.value === '' ? null : Number(cell.dataset.value));

const lookOf = (key, index) => LOOKS[key] ?? OTHERS[index % OTHERS.length];

function dataset(series, index, rows, byRow) {
  const data = rows.map((row) => numberIn(row.cells[index + 1]));
  if (series.line) {
    // A dashed line with diamond points, on the right-hand axis: unlike any bar (its legend
    // box is an unfilled dashed outline). Drawn last, so over the bars.
    return {
      type: 'line',
      label: series.label,
      data,
      yAxisID: 'y2',
      borderColor: INK,
      backgroundColor: 'transparent',
      pointBackgroundColor: INK,
      borderDash: [6, 3],
      pointStyle: 'rectRot',
      pointRadius: 5,
    };
  }
  const backgroundColor = byRow
    ? rows.map((row, i) => fill(...lookOf(row.cells[0].dataset.label, i)))
    : fill(...lookOf(series.key, index));
  return {
    type: 'bar',
    label: series.label,
    data,
    backgroundColor,
    borderColor: INK,
    borderWidth: 1,
  };
}

function draw(figure) {
  const table = figure.querySelector('table');
  const rows = [...table.tBodies[0].rows];
  const byRow = figure.dataset.colourByRow !== undefined;
  const datasets = seriesOf(table).map((series, i) => dataset(series, i, rows, byRow));
  const horizontal = figure.dataset.horizontal !== undefined;
  const box = document.createElement('div');
  box.className = 'chart-box';
  box.style.height = horizontal ? `${90 + rows.length * 30}px` : '300px';
  const canvas = document.createElement('canvas');
  canvas.setAttribute('role', 'img');
  canvas.setAttribute(
    'aria-label',
    `${figure.querySelector('figcaption').textContent.trim()}. The numbers are in the table under "Numbers".`,
  );
  canvas.setAttribute('aria-describedby', `${figure.id}-how`);
  box.append(canvas);
  figure.querySelector('.chart-how').after(box);

  const title = (text) => ({ display: true, text });
  const index = { stacked: true, title: title(figure.dataset.indexTitle) };
  const value = {
    stacked: true,
    beginAtZero: true,
    ticks: { precision: 0 },
    title: title(figure.dataset.valueTitle),
  };
  const scales = horizontal ? { x: value, y: index } : { x: index, y: value };
  if (datasets.some((d) => d.yAxisID === 'y2')) {
    scales.y2 = {
      position: 'right',
      beginAtZero: true,
      grid: { drawOnChartArea: false },
      title: title(figure.dataset.lineTitle),
    };
  }
  new Chart(canvas, {
    type: 'bar',
    data: { labels: rows.map((row) => row.cells[0].dataset.label), datasets },
    options: {
      animation: false,
      maintainAspectRatio: false,
      indexAxis: horizontal ? 'y' : 'x',
      scales,
      plugins: {
        legend: { display: datasets.length > 1, position: 'bottom' },
        tooltip: { mode: 'index', intersect: false },
      },
    },
  });
  figure.querySelector('details.chart-numbers')?.removeAttribute('open');
  figure.dataset.drawn = 'true';
}

if (typeof Chart === 'function')
  for (const figure of document.querySelectorAll('figure[data-chart]')) draw(figure);
