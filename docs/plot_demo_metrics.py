#!/usr/bin/env python3
"""Plots the demo's metrics (Demo --metrics-csv FILE) as an SVG, with the standard library only.

    ./mvnw -q -pl examples -am compile exec:java \
        -Ddemo.args="--plain --metrics-port 0 --metrics-csv /tmp/demo-metrics.csv"
    python3 docs/plot_demo_metrics.py /tmp/demo-metrics.csv docs/demo-metrics.svg

Three panels share the time axis: calls answered per second by each endpoint (from the
successes counter, as a Prometheus rate() would show lb_calls_total), its recent p99 latency
(the p99 of EndpointStats, over the balancer's latency window), and its health state.
"""
import csv
import sys
from collections import OrderedDict

WIDTH, LEFT, RIGHT = 900, 70, 110
PANEL_H, GAP, TOP = 170, 40, 40
COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
          "#7f7f7f", "#bcbd22", "#17becf"]
STATE_COLORS = {"HEALTHY": "#8fd18f", "UNHEALTHY": "#e58b8b", "EJECTED": "#f0a35e",
                "DRAINING": "#f3e28a", "DISABLED": "#c0c0c0"}


def load(path):
    series = OrderedDict()
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            series.setdefault(row["endpoint"], []).append(row)
    return series


def rates(rows, window=5):
    """Calls per second, over a window of frames to smooth the 200 ms sampling."""
    out = []
    for i in range(len(rows)):
        j = max(0, i - window)
        dt = float(rows[i]["seconds"]) - float(rows[j]["seconds"])
        dn = int(rows[i]["successes"]) - int(rows[j]["successes"])
        out.append((float(rows[i]["seconds"]), dn / dt if dt > 0 else 0.0))
    return out


def polyline(points, x, y, color):
    pts = " ".join(f"{x(t):.1f},{y(v):.1f}" for t, v in points)
    return f'<polyline fill="none" stroke="{color}" stroke-width="1.6" points="{pts}"/>'


def axes(svg, top, title, ymax, unit, x, tmax):
    bottom = top + PANEL_H
    svg.append(f'<text x="{LEFT}" y="{top - 8}" font-size="13" font-weight="bold">{title}</text>')
    svg.append(f'<rect x="{LEFT}" y="{top}" width="{WIDTH - LEFT - RIGHT}" height="{PANEL_H}"'
               ' fill="none" stroke="#999"/>')
    if ymax is not None:
        for k in range(5):
            v = ymax * k / 4
            yy = bottom - PANEL_H * k / 4
            svg.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{yy:.1f}" y2="{yy:.1f}"'
                       ' stroke="#eee"/>')
            svg.append(f'<text x="{LEFT - 6}" y="{yy + 4:.1f}" font-size="10"'
                       f' text-anchor="end">{v:.0f}{unit}</text>')
    step = 5 if tmax > 10 else 1
    t = 0
    while t <= tmax:
        svg.append(f'<text x="{x(t):.1f}" y="{bottom + 14}" font-size="10"'
                   f' text-anchor="middle">{t:.0f} s</text>')
        t += step


def main(src, dst):
    series = load(src)
    ids = list(series)
    tmax = max(float(r["seconds"]) for rows in series.values() for r in rows)
    x = lambda t: LEFT + (WIDTH - LEFT - RIGHT) * t / tmax
    height = TOP + 3 * PANEL_H + 3 * GAP + 20
    svg = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}"'
           ' font-family="sans-serif">', '<rect width="100%" height="100%" fill="white"/>']

    # Calls per second.
    top = TOP
    all_rates = {e: rates(rows) for e, rows in series.items()}
    ymax = max(1.0, max(v for pts in all_rates.values() for _, v in pts)) * 1.1
    axes(svg, top, "calls answered per second, by endpoint (lb_calls_total, outcome=success)",
         ymax, "", x, tmax)
    y = lambda v, top=top: top + PANEL_H - PANEL_H * v / ymax
    for i, e in enumerate(ids):
        svg.append(polyline(all_rates[e], x, y, COLORS[i % len(COLORS)]))

    # p99 latency.
    top = TOP + PANEL_H + GAP
    lat = {e: [(float(r["seconds"]), float(r["p99_ms"])) for r in rows if r["p99_ms"]]
           for e, rows in series.items()}
    ymax = max(1.0, max((v for pts in lat.values() for _, v in pts), default=1.0)) * 1.1
    axes(svg, top, "recent p99 latency, ms (EndpointStats.latencyP99Nanos)", ymax, "", x, tmax)
    y = lambda v, top=top: top + PANEL_H - PANEL_H * v / ymax
    for i, e in enumerate(ids):
        if lat[e]:
            svg.append(polyline(lat[e], x, y, COLORS[i % len(COLORS)]))

    # Health states.
    top = TOP + 2 * (PANEL_H + GAP)
    axes(svg, top, "health state (lb_endpoint_state)", None, "", x, tmax)
    lane = PANEL_H / len(ids)
    for i, e in enumerate(ids):
        rows = series[e]
        yy = top + i * lane
        for k, r in enumerate(rows):
            t0 = float(rows[k - 1]["seconds"]) if k else 0.0
            t1 = float(r["seconds"])
            color = STATE_COLORS.get(r["health"], "#000")
            svg.append(f'<rect x="{x(t0):.1f}" y="{yy + 3:.1f}" width="{max(0.5, x(t1) - x(t0)):.1f}"'
                       f' height="{lane - 6:.1f}" fill="{color}"/>')
        svg.append(f'<text x="{LEFT - 6}" y="{yy + lane / 2 + 4:.1f}" font-size="11"'
                   f' text-anchor="end">{e}</text>')
    for k, (state, color) in enumerate(STATE_COLORS.items()):
        yy = top + 14 * k + 8
        svg.append(f'<rect x="{WIDTH - RIGHT + 10}" y="{yy}" width="10" height="10" fill="{color}"/>')
        svg.append(f'<text x="{WIDTH - RIGHT + 24}" y="{yy + 9}" font-size="10">{state.lower()}</text>')

    # Legend of endpoints.
    for i, e in enumerate(ids):
        yy = TOP + 14 * i + 8
        svg.append(f'<line x1="{WIDTH - RIGHT + 10}" x2="{WIDTH - RIGHT + 26}" y1="{yy + 5}"'
                   f' y2="{yy + 5}" stroke="{COLORS[i % len(COLORS)]}" stroke-width="2"/>')
        svg.append(f'<text x="{WIDTH - RIGHT + 30}" y="{yy + 9}" font-size="10">{e}</text>')
    svg.append("</svg>")
    with open(dst, "w") as f:
        f.write("\n".join(svg) + "\n")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
