// The histogram of a tensor's values on a canvas sized for the screen's pixel ratio, with the
// range under it. Bars use a square-root scale so small tails stay visible next to a spike.

export function drawHistogram(canvas: HTMLCanvasElement, hist: number[], lo: number, hi: number, fmt: (x: number) => string): void {
  const ratio = globalThis.devicePixelRatio || 1;
  const cssW = canvas.clientWidth || 360;
  const cssH = canvas.clientHeight || 140;
  canvas.width = Math.round(cssW * ratio);
  canvas.height = Math.round(cssH * ratio);
  const ctx = canvas.getContext("2d");
  if (!ctx) return;
  ctx.scale(ratio, ratio);
  const style = getComputedStyle(canvas);
  const fg = style.getPropertyValue("--bar").trim() || "#3b6fd6";
  const axis = style.getPropertyValue("--axis").trim() || "#888";
  ctx.clearRect(0, 0, cssW, cssH);
  const padB = 18;
  const plotH = cssH - padB - 4;
  const peak = Math.max(1, ...hist);
  const bw = cssW / Math.max(1, hist.length);
  ctx.fillStyle = fg;
  for (let i = 0; i < hist.length; i++) {
    if (!hist[i]) continue;
    const bh = Math.max(1, Math.sqrt(hist[i] / peak) * plotH);
    ctx.fillRect(i * bw, 4 + plotH - bh, Math.max(1, bw - (bw > 3 ? 1 : 0)), bh);
  }
  ctx.strokeStyle = axis;
  ctx.beginPath();
  ctx.moveTo(0, 4 + plotH + 0.5);
  ctx.lineTo(cssW, 4 + plotH + 0.5);
  ctx.stroke();
  ctx.fillStyle = axis;
  ctx.font = "11px system-ui, sans-serif";
  ctx.textBaseline = "bottom";
  ctx.textAlign = "left";
  ctx.fillText(fmt(lo), 0, cssH);
  ctx.textAlign = "right";
  ctx.fillText(fmt(hi), cssW, cssH);
  ctx.textAlign = "center";
  if (lo < 0 && hi > 0) {
    const x = (-lo / (hi - lo)) * cssW;
    ctx.fillText("0", x, cssH);
  }
  // hovering a bar tells its range and count
  canvas.onmousemove = (e) => {
    const b = Math.min(hist.length - 1, Math.max(0, Math.floor((e.offsetX / cssW) * hist.length)));
    const w = (hi - lo) / hist.length;
    canvas.title = `[${fmt(lo + b * w)}, ${fmt(lo + (b + 1) * w)}${b === hist.length - 1 ? "]" : ")"}: ${hist[b].toLocaleString("en-US")} values`;
  };
  canvas.setAttribute("data-bins", String(hist.length));
  canvas.setAttribute("data-peak", String(peak));
}
