#!/usr/bin/python3
"""Summary of bench/pareto.sh's runs: summary.md (accuracy against predicted Edge TPU latency,
searched against hand-designed networks, supernet rank correlation) and pareto.svg.

    bench/pareto_summary.py OUT_DIR

Reads what has finished: a network counts with the retrainings that have a `done` file, and its
score is the last epoch's test top-1 (val_top1 on t10k) in the run's metrics.jsonl.
"""
import glob
import json
import math
import os
import re
import statistics
import sys

out = sys.argv[1]


def last_top1(run):
    lines = [json.loads(l) for l in open(f"{run}/metrics.jsonl") if l.strip()]
    return 100.0 * lines[-1]["val_top1"]


def retrainings(prefix):
    """{seed: top-1} of the finished retrainings OUT/train/<prefix>_s<seed>."""
    found = {}
    for run in glob.glob(f"{out}/train/{glob.escape(prefix)}_s*"):
        m = re.fullmatch(r".*_s(\d+)", run)
        if m and os.path.isfile(f"{run}/done"):
            found[int(m.group(1))] = last_top1(run)
    return found


def spread(values):
    return statistics.stdev(values) if len(values) > 1 else float("nan")


networks = []  # dicts: name, kind, latency_ms, scores {seed: top1}, arch (file, for space members)
for line in open(f"{out}/baselines.tsv"):
    name, model, width, ms = line.rstrip("\n").split("\t")
    networks.append({"name": name, "kind": "baseline", "latency_ms": float(ms), "scores": retrainings(name)})
family = json.load(open(f"{out}/search/family.json"))
for t in family["targets"]:
    stem = os.path.splitext(t["arch"])[0]
    networks.append({"name": f"searched {stem}", "kind": "searched", "latency_ms": t["latency_ms"],
                     "target_ms": t["target_ms"], "scores": retrainings(f"searched_{stem}"),
                     "arch": f"{out}/search/{t['arch']}"})
for line in open(f"{out}/random/chosen.tsv"):
    stem, ms = line.split()
    networks.append({"name": f"random {stem}", "kind": "random", "latency_ms": float(ms),
                     "scores": retrainings(f"random_{stem}"), "arch": f"{out}/random/{stem}.json"})
for n in networks:
    v = list(n["scores"].values())
    n["mean"] = statistics.fmean(v) if v else float("nan")
    n["std"] = spread(v)
    n["n"] = len(v)

supernet = {}
if os.path.isfile(f"{out}/supernet_scores.json"):
    for s in json.load(open(f"{out}/supernet_scores.json")):
        supernet[os.path.abspath(s["arch"])] = 100.0 * s["accuracy"]
for n in networks:
    n["supernet"] = supernet.get(os.path.abspath(n["arch"])) if "arch" in n else None


def ranks(xs):
    order = sorted(range(len(xs)), key=lambda i: xs[i])
    r = [0.0] * len(xs)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and xs[order[j + 1]] == xs[order[i]]:
            j += 1
        for k in range(i, j + 1):
            r[order[k]] = (i + j) / 2 + 1
        i = j + 1
    return r


def pearson(a, b):
    ma, mb = statistics.fmean(a), statistics.fmean(b)
    num = sum((x - ma) * (y - mb) for x, y in zip(a, b))
    den = math.sqrt(sum((x - ma) ** 2 for x in a) * sum((y - mb) ** 2 for y in b))
    return num / den if den else float("nan")


def kendall_tau_b(a, b):
    concordant = discordant = ties_a = ties_b = 0
    for i in range(len(a)):
        for j in range(i + 1, len(a)):
            da, db = a[i] - a[j], b[i] - b[j]
            if da == 0 and db == 0:
                continue
            if da == 0:
                ties_a += 1
            elif db == 0:
                ties_b += 1
            elif da * db > 0:
                concordant += 1
            else:
                discordant += 1
    den = math.sqrt((concordant + discordant + ties_a) * (concordant + discordant + ties_b))
    return (concordant - discordant) / den if den else float("nan")


def fmt(n):
    if n["n"] == 0:
        return "not yet retrained"
    return f"{n['mean']:.2f} +- {n['std']:.2f} (n={n['n']})" if n["n"] > 1 else f"{n['mean']:.2f} (n=1)"


lines = ["# Searched family against hand-designed networks", "",
         f"Fashion-MNIST test top-1 (%) against predicted latency on coral-usb3 at 32x32, from {out}.", "",
         "| network | kind | predicted latency (ms) | test top-1 % (mean +- std over training seeds) | supernet top-1 % |",
         "|---|---|---:|---:|---:|"]
for n in sorted(networks, key=lambda n: n["latency_ms"]):
    sup = f"{n['supernet']:.2f}" if n.get("supernet") is not None else "-"
    lines.append(f"| {n['name']} | {n['kind']} | {n['latency_ms']:.3f} | {fmt(n)} | {sup} |")

# Each baseline against the best searched network that is at most as slow.
searched = [n for n in networks if n["kind"] == "searched" and n["n"] > 0]
lines += ["", "## At matched latency", "",
          "Each baseline against the most accurate searched network predicted at most 1 % slower "
          "(the family's targets are four of the baselines' latencies). The margin is in points; "
          "'spread' is the standard error of the difference of the two means.", "",
          "| baseline | latency (ms) | top-1 % | searched network | latency (ms) | top-1 % | margin | margin / spread |",
          "|---|---:|---:|---|---:|---:|---:|---:|"]
for b in sorted((n for n in networks if n["kind"] == "baseline"), key=lambda n: n["latency_ms"]):
    rivals = [s for s in searched if s["latency_ms"] <= 1.01 * b["latency_ms"]]
    if b["n"] == 0 or not rivals:
        lines.append(f"| {b['name']} | {b['latency_ms']:.3f} | {fmt(b)} | none retrained at or below its latency | | | | |")
        continue
    s = max(rivals, key=lambda n: n["mean"])
    margin = s["mean"] - b["mean"]
    se = math.sqrt((s["std"] ** 2 / s["n"] if s["n"] > 1 else 0) + (b["std"] ** 2 / b["n"] if b["n"] > 1 else 0))
    ratio = f"{margin / se:+.1f}" if se > 0 else "n/a (one seed)"
    lines.append(f"| {b['name']} | {b['latency_ms']:.3f} | {fmt(b)} | {s['name']} | {s['latency_ms']:.3f} | "
                 f"{fmt(s)} | {margin:+.2f} | {ratio} |")

pairs = [(n["supernet"], n["mean"]) for n in networks if n.get("supernet") is not None and n["n"] > 0]
lines += ["", "## Is the supernet a good proxy?", ""]
if len(pairs) >= 3:
    a, b = [p[0] for p in pairs], [p[1] for p in pairs]
    lines.append(f"Over {len(pairs)} architectures of the space (searched and random) with both a supernet score and "
                 f"a retrained accuracy: Kendall tau-b {kendall_tau_b(a, b):+.3f}, Spearman "
                 f"{pearson(ranks(a), ranks(b)):+.3f}.")
else:
    lines.append("Fewer than three architectures have both a supernet score and a retraining yet.")
open(f"{out}/summary.md.tmp", "w").write("\n".join(lines) + "\n")
os.replace(f"{out}/summary.md.tmp", f"{out}/summary.md")


COLORS = {"baseline": "#d62728", "searched": "#1f77b4", "random": "#7f7f7f"}


def mark(kind, x, y, title):
    """A baseline is a square, a searched network a circle, a random one a triangle."""
    c = COLORS[kind]
    if kind == "baseline":
        return f'<rect x="{x - 5:.1f}" y="{y - 5:.1f}" width="10" height="10" fill="{c}">{title}</rect>'
    if kind == "searched":
        return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="6" fill="{c}">{title}</circle>'
    return f'<path d="M{x:.1f},{y - 5:.1f} L{x + 5:.1f},{y + 4:.1f} L{x - 5:.1f},{y + 4:.1f} Z" fill="{c}">{title}</path>'


# pareto.svg: accuracy with error bars against latency; the Pareto front over the networks' means.
def svg_plot(path):
    shown = [n for n in networks if n["n"] > 0]
    if not shown:
        return
    w, h, left, right, top, bottom = 820, 520, 70, 200, 40, 50
    xs = [n["latency_ms"] for n in shown]
    ys = [n["mean"] + (0 if math.isnan(n["std"]) else s * n["std"]) for n in shown for s in (-1, 1)]
    x0, x1 = min(xs) - 0.02, max(xs) + 0.02
    y0, y1 = math.floor(min(ys) - 0.2), math.ceil(max(ys) + 0.2)
    px = lambda x: left + (x - x0) / (x1 - x0) * (w - left - right)
    py = lambda y: top + (y1 - y) / (y1 - y0) * (h - top - bottom)
    colors = COLORS
    e = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" font-family="sans-serif" font-size="12">',
         f'<rect width="{w}" height="{h}" fill="white"/>',
         f'<text x="{left}" y="22" font-size="14">Fashion-MNIST top-1 against predicted Edge TPU latency '
         f'(coral-usb3, 32x32)</text>']
    for i in range(6):
        xv = x0 + (x1 - x0) * i / 5
        e.append(f'<line x1="{px(xv):.1f}" y1="{top}" x2="{px(xv):.1f}" y2="{h - bottom}" stroke="#eee"/>')
        e.append(f'<text x="{px(xv):.1f}" y="{h - bottom + 16}" text-anchor="middle">{xv:.2f}</text>')
    for yv in range(int(y0), int(y1) + 1):
        e.append(f'<line x1="{left}" y1="{py(yv):.1f}" x2="{w - right}" y2="{py(yv):.1f}" stroke="#eee"/>')
        e.append(f'<text x="{left - 6}" y="{py(yv) + 4:.1f}" text-anchor="end">{yv}</text>')
    e.append(f'<text x="{(left + w - right) / 2}" y="{h - 12}" text-anchor="middle">predicted latency (ms)</text>')
    e.append(f'<text x="16" y="{(top + h - bottom) / 2}" transform="rotate(-90 16 {(top + h - bottom) / 2})" '
             f'text-anchor="middle">test top-1 (%), mean +- std</text>')
    front, best = [], -1.0
    for n in sorted(shown, key=lambda n: (n["latency_ms"], -n["mean"])):
        if n["mean"] > best:
            front.append(n)
            best = n["mean"]
    pts = []
    for n in front:
        if pts:
            pts.append(f"{px(n['latency_ms']):.1f},{py(pts_y):.1f}")
        pts_y = n["mean"]
        pts.append(f"{px(n['latency_ms']):.1f},{py(n['mean']):.1f}")
    e.append(f'<polyline points="{" ".join(pts)}" fill="none" stroke="#2ca02c" stroke-dasharray="5,4"/>')
    for n in shown:
        x, y, c = px(n["latency_ms"]), py(n["mean"]), colors[n["kind"]]
        if not math.isnan(n["std"]):
            e.append(f'<line x1="{x:.1f}" y1="{py(n["mean"] - n["std"]):.1f}" x2="{x:.1f}" '
                     f'y2="{py(n["mean"] + n["std"]):.1f}" stroke="{c}"/>')
        e.append(mark(n["kind"], x, y, f'<title>{n["name"]}: {n["latency_ms"]:.3f} ms, {fmt(n)}</title>'))
        if n["kind"] == "baseline":
            e.append(f'<text x="{x + 8:.1f}" y="{y - 6:.1f}" fill="{c}" font-size="10">{n["name"]}</text>')
    legend = [("baseline (zoo)", "baseline"), ("searched family", "searched"), ("random of the space", "random")]
    for i, (label, kind) in enumerate(legend):
        y = top + 20 + 20 * i
        e.append(mark(kind, w - right + 20, y - 4, ""))
        e.append(f'<text x="{w - right + 32}" y="{y}">{label}</text>')
    e.append(f'<line x1="{w - right + 12}" y1="{top + 76}" x2="{w - right + 28}" y2="{top + 76}" stroke="#2ca02c" '
             f'stroke-dasharray="5,4"/><text x="{w - right + 32}" y="{top + 80}">Pareto front (means)</text>')
    e.append("</svg>")
    open(path + ".tmp", "w").write("\n".join(e) + "\n")
    os.replace(path + ".tmp", path)


svg_plot(f"{out}/pareto.svg")
print(open(f"{out}/summary.md").read())
