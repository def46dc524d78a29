// Per-layer log-Influence across the prompt positions (as GUIDE's plot), drawn by uPlot.
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";

const COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#7f7f7f", "#bcbd22"];

export interface InfluenceView {
  metric: string;
  /** Rows of the response's `layers`: index 0 is layer −1 (the span indicator), then layer 0, 1, … */
  rows: number[][];
  /** Layers to draw (−1 … L−1). */
  layers: number[];
  /** Label of each prompt position, for the hover legend. */
  labels: string[];
}

/** ln(value); zero (tokens before the span, where the causal mask keeps the value at 0) is a gap, as −∞ in GUIDE's notebook. */
const ln = (v: number) => (v > 0 ? Math.log(v) : null);

export class InfluenceChart {
  private plot: uPlot | null = null;
  private width = 0;
  // Resized in the next frame and only when the width changed: resizing inside the observer's callback
  // would change the host's height and make the browser report a ResizeObserver loop error.
  private readonly resize = new ResizeObserver(() => requestAnimationFrame(() => {
    if (!this.plot || this.host.clientWidth === this.width) return;
    this.width = this.host.clientWidth;
    this.plot.setSize(this.size());
  }));

  constructor(private readonly host: HTMLElement) {
    this.resize.observe(host);
  }

  /** The chart's data (x, then one array per drawn layer), for the browser test and the console. */
  get data(): (number | null)[][] { return this.plot ? (this.plot.data as (number | null)[][]) : []; }

  private size() { return { width: Math.max(260, this.host.clientWidth), height: Math.min(320, Math.max(200, this.host.clientWidth * 0.45)) }; }

  show(view: InfluenceView) {
    this.plot?.destroy();
    this.width = this.host.clientWidth;
    const positions = view.rows[0].map((_, i) => i);
    const indicator = view.rows[0];
    const spanStart = indicator.findIndex(v => v > 0);
    const spanEnd = spanStart < 0 ? -1 : indicator.length - [...indicator].reverse().findIndex(v => v > 0);
    const series: uPlot.Series[] = [
      { label: "token", value: (_u, i) => (i == null ? "—" : `${i}: ${view.labels[i] ?? ""}`) },
      ...view.layers.map((layer, k) => ({
        label: layer < 0 ? "span (−1)" : `layer ${layer}`,
        stroke: COLORS[k % COLORS.length],
        width: 1.5,
        spanGaps: false,
        points: { show: true, size: 4 },
        value: (_u: uPlot, v: number | null) => (v == null ? "−∞" : v.toFixed(3)),
      })),
    ];
    const data: uPlot.AlignedData = [positions, ...view.layers.map(layer => view.rows[layer + 1].map(ln))];
    this.plot = new uPlot({
      ...this.size(),
      title: `ln ${view.metric === "attention_rollout" ? "Attention Rollout" : "Influence"} per layer`,
      scales: { x: { time: false } },
      axes: [{ label: "prompt position" }, { label: "ln value" }],
      series,
      cursor: { focus: { prox: 16 } },
      hooks: {
        // The measured span as a shaded band behind the curves.
        drawClear: [u => {
          if (spanStart < 0) return;
          const x0 = u.valToPos(spanStart - 0.5, "x", true), x1 = u.valToPos(spanEnd - 0.5, "x", true);
          u.ctx.save();
          u.ctx.fillStyle = "rgba(255, 193, 7, 0.18)";
          u.ctx.fillRect(x0, u.bbox.top, x1 - x0, u.bbox.height);
          u.ctx.restore();
        }],
      },
    }, data, this.host);
  }

  clear() {
    this.plot?.destroy();
    this.plot = null;
  }
}
