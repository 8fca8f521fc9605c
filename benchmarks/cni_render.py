"""CNI manifests: `lifecycle.cni.render.render` (with `lifecycle.cni.values.build_values`) for the default values vs
`yaml.safe_dump_all` of the result, and peak memory (tracemalloc) of rendering 400 clusters vs one.

Targets: rendering costs no more than dumping its own output to YAML (<= 1x, proposed here: building six small
dicts should be cheaper than serialising them); peak memory for 400 renders is at most 400x one render (linear or
better: no hidden cache or leak), and the retained memory grows linearly (400 renders keep 10x what 40 keep,
within 25 %).
"""

from __future__ import annotations

import gc
import statistics
import tracemalloc

import yaml

from benchmarks.common import Report, fmt_bytes, fmt_seconds, interleaved, main_for, ratio, time_calls

CLUSTERS = 400


def _peak_bytes(fn, n: int) -> tuple[int, int]:
    """(peak, retained) bytes allocated while producing n results and keeping them all (as a fleet render would)."""
    gc.collect()
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    tracemalloc.reset_peak()
    kept = [fn() for _ in range(n)]
    current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del kept
    return peak - base, current - base


def run(quick: bool) -> Report:
    from lifecycle.cni.render import render, to_yaml
    from lifecycle.cni.values import build_values
    from lifecycle.versions import latest

    report = Report("cni_render", quick)
    release = latest("edge")
    rounds, per_round = (4, 25) if quick else (10, 50)
    report.parameters = {"release": release.version, "calls_per_subject": rounds * per_round, "clusters": CLUSTERS}

    def full(_i: int = 0):
        return render(build_values(None, None, release), release)

    rendered = full()
    values = build_values(None, None, release)
    manifests = rendered.manifests
    time_calls(full, 20)
    samples = interleaved({
        "render_from_defaults": full,
        "render_only": lambda _i: render(values, release),
        "safe_dump_all": lambda _i: yaml.safe_dump_all(manifests),
        "to_yaml": lambda _i: to_yaml(manifests),
    }, rounds, per_round)  # fmt: skip
    s = {k: report.measure(k, v) for k, v in samples.items()}
    dump = s["safe_dump_all"]["median"]
    render_ratio = ratio(s["render_from_defaults"]["median"], dump)
    report.row(f"build_values()+render() {release.version}", fmt_seconds(s["render_from_defaults"]["median"]),
               fmt_seconds(dump) + " safe_dump_all", f"{render_ratio:.3f}x")  # fmt: skip
    report.row("  render() only (values built)", fmt_seconds(s["render_only"]["median"]), fmt_seconds(dump),
               f"{ratio(s['render_only']['median'], dump):.3f}x")  # fmt: skip
    report.row("  Rendered.yaml_text() / to_yaml()", fmt_seconds(s["to_yaml"]["median"]), fmt_seconds(dump),
               f"{ratio(s['to_yaml']['median'], dump):.2f}x")  # fmt: skip
    report.row("  objects / YAML bytes", str(len(manifests)), f"{len(rendered.yaml_text()):,} B", "")
    report.check("build_values()+render() vs yaml.safe_dump_all of its output", render_ratio, "<=", 1.0,
                 note="proposed here")  # fmt: skip
    if yaml.__with_libyaml__:
        c_dump = statistics.median(time_calls(lambda _i: yaml.dump_all(manifests, Dumper=yaml.CSafeDumper), 50))
        report.measure("csafe_dump_all", median=c_dump)
        report.row("  yaml CSafeDumper, same manifests", fmt_seconds(c_dump), fmt_seconds(dump),
                   f"{ratio(c_dump, dump):.2f}x")  # fmt: skip

    # --- memory: one vs 400 -----------------------------------------------------------------------------------
    one_peak, one_kept = _peak_bytes(full, 1)
    tenth_peak, tenth_kept = _peak_bytes(full, CLUSTERS // 10)
    many_peak, many_kept = _peak_bytes(full, CLUSTERS)
    mem_ratio = ratio(many_peak, one_peak)
    slope = (many_kept - tenth_kept) / (CLUSTERS - CLUSTERS // 10)
    report.measure("memory", one_peak=one_peak, one_retained=one_kept, many_peak=many_peak, many_retained=many_kept,
                   tenth_peak=tenth_peak, tenth_retained=tenth_kept, peak_ratio=mem_ratio,
                   retained_ratio_400_vs_40=ratio(many_kept, tenth_kept), bytes_per_extra_render=slope)  # fmt: skip
    report.row("tracemalloc peak, 1 render", fmt_bytes(one_peak), f"{fmt_bytes(one_kept)} retained", "")
    report.row(f"tracemalloc peak, {CLUSTERS} renders kept", fmt_bytes(many_peak), fmt_bytes(one_peak) + " (1)",
               f"{mem_ratio:.0f}x")  # fmt: skip
    report.row(f"retained, {CLUSTERS} vs {CLUSTERS // 10} renders", fmt_bytes(many_kept), fmt_bytes(tenth_kept),
               f"{ratio(many_kept, tenth_kept):.1f}x")  # fmt: skip
    report.row("  retained per extra render", fmt_bytes(slope), "", "")
    report.check(f"peak memory, {CLUSTERS} renders vs 1", mem_ratio, "<=", CLUSTERS,
                 target_text=f"<= {CLUSTERS}x (linear or better)",
                 note="one render's peak is mostly transient (canonical JSON for the content hash); "
                      f"each kept render retains {fmt_bytes(slope)}")  # fmt: skip
    report.check(f"retained memory, {CLUSTERS} vs {CLUSTERS // 10} renders", ratio(many_kept, tenth_kept), "~", 10,
                 target_text="~10x (linear, within 25 %)")  # fmt: skip
    y_peak, _ = _peak_bytes(lambda: full().yaml_text(), CLUSTERS)
    report.measure("memory_yaml_text", many_peak=y_peak)
    report.row(f"  {CLUSTERS} YAML texts kept (peak)", fmt_bytes(y_peak), "", "")

    report.chart(f"One CNI render, {release.version}, default values (median)", "µs", [
        ("yaml.safe_dump_all of the output (baseline)", dump * 1e6, "base"),
        ("build_values() + render()", s["render_from_defaults"]["median"] * 1e6),
        ("render() only", s["render_only"]["median"] * 1e6),
        ("Rendered.yaml_text()", s["to_yaml"]["median"] * 1e6),
    ], target=dump * 1e6, target_label="target: 1x baseline")  # fmt: skip
    report.chart("tracemalloc peak", "KiB", [
        ("1 render", one_peak / 1024, "base"),
        (f"{CLUSTERS} renders kept", many_peak / 1024),
        (f"{CLUSTERS} x 1 render (linear)", one_peak * CLUSTERS / 1024, "base"),
    ])  # fmt: skip
    return report


if __name__ == "__main__":
    raise SystemExit(main_for("cni_render", run))
