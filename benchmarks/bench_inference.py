"""Which inference library for the calibration: sbi's NPE or pyabc's ABC-SMC, measured on this model (issue 14, part 4).

Both see the same thing: the prior of ``experiments/calibration.toml`` (its 6 parameters, on the unit cube of
``sim.analysis.inference.prior``), the same simulator (``sim.analysis.inference.simulator``, the spec's statistics
to week 208) with a cheap override (``run.burn_in_weeks=52`` instead of 208, as the spec's [small] mode), and the
statistics divided by the spec's ``scale`` (the distance ABC uses is the Euclidean norm of these).

Steps, each cached under benchmarks/results/ so a rerun resumes instead of resimulating::

    PY=.venv/bin/python                       # the project's venv, made by .ci/setup (pyabc: the 'calibrate' extra)
    PYTHONPATH=. $PY benchmarks/bench_inference.py pool --n 500 --workers 1   # N prior simulations, shared
    PYTHONPATH=. $PY benchmarks/bench_inference.py abc --job 0 --cap 400      # ABC-SMC on held-out truth 0
    PYTHONPATH=. $PY benchmarks/bench_inference.py abc --job observed --cap 400   # ... on the 2022 data
    .venv-sbi/bin/python benchmarks/bench_inference.py report --m 100         # NPE + rejection ABC + the table

sbi is NOT a project dependency (it pulls torch, several GB); ``report`` needs it in a throwaway venv::

    python -m venv .venv-sbi && .venv-sbi/bin/pip install -e '.[calibrate]' sbi

The first M pool simulations are the held-out truths (ABC-SMC runs on the first K of them); NPE trains on the
other N - M, and the rejection-ABC baseline keeps the nearest 5% of those same N - M for every truth. Metrics
are on the unit cube (the prior's quantiles), so the prior width of every parameter is 1: coverage of the
central 90% interval, |posterior mean - truth|, 90% width, and (NPE) sbi's simulation-based calibration.
Results: benchmarks/results/inference_comparison.json; docs/inference_choice.md reads them.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "benchmarks" / "results"
POOL = OUT / "inference_pool.npz"
SPEC = ROOT / "experiments" / "calibration.toml"
OVERRIDES = ["run.burn_in_weeks=52"]
SEED = 2026
MASS = 0.9
CALLS = {"n": 0}


def setup():
    """The spec, its simulator (full parameters, cheap overrides), observed statistics and scales."""
    sys.path.insert(0, str(ROOT))
    from sim.analysis.inference.prior import prior_for
    from sim.analysis.inference.simulator import Simulator
    from sim.analysis.inference.spec import load_spec
    from sim.scenario.loader import load_scenario

    spec = load_spec(SPEC)
    b = spec.budget
    params = load_scenario(spec.scenario, OVERRIDES).params
    sim = Simulator(params, prior_for(spec.ranges, b.parameters), spec.statistics, b.last_week)
    names = [s.name for s in spec.statistics]
    observed = np.array([s.observed for s in spec.statistics])
    scales = np.array([s.scale for s in spec.statistics])
    return spec, sim, names, observed, scales


def _one(args):
    sim, names, u, seed = args
    c = time.process_time()
    stats = sim.run(sim.prior.values(dict(zip(sim.prior.names, u, strict=True))), int(seed))
    return [stats[n] for n in names], time.process_time() - c


def cmd_pool(a: argparse.Namespace) -> None:
    """Draw N parameter sets from the prior and simulate each once (resumes from the cache)."""
    _, sim, names, _, _ = setup()
    d = len(sim.prior.names)
    u = np.random.default_rng([SEED, 0]).random((a.n, d))
    seeds = np.random.default_rng([SEED, 1]).integers(0, 2**31 - 1, a.n)
    have = dict(np.load(POOL)) if POOL.exists() else {"u": np.zeros((0, d)), "x": np.zeros((0, len(names))), "cpu": np.zeros(0)}
    start = len(have["x"])
    if start and not np.allclose(have["u"], u[:start]):
        raise SystemExit(f"{POOL}: drawn with another seed; delete it to resimulate")
    x, cpu = list(have["x"]), list(have["cpu"])
    OUT.mkdir(parents=True, exist_ok=True)
    jobs = [(sim, names, u[i], seeds[i]) for i in range(start, a.n)]
    t0 = time.time()

    def save() -> None:
        n = len(x)
        np.savez(POOL, u=u[:n], x=np.array(x).reshape(n, len(names)), cpu=np.array(cpu), seeds=seeds[:n])

    if a.workers > 1:
        from multiprocessing import Pool

        with Pool(a.workers) as pool:
            results = pool.imap(_one, jobs, chunksize=1)
            for k, (row, c) in enumerate(results, 1):
                x.append(row), cpu.append(c)
                if k % 10 == 0:
                    save()
                    print(f"{len(x)}/{a.n} in {time.time() - t0:.0f} s, {np.mean(cpu):.2f} s CPU each", flush=True)
    else:
        for k, job in enumerate(jobs, 1):
            row, c = _one(job)
            x.append(row), cpu.append(c)
            if k % 10 == 0:
                save()
                print(f"{len(x)}/{a.n} in {time.time() - t0:.0f} s, {np.mean(cpu):.2f} s CPU each", flush=True)
    save()


def _counting(sim):
    """The simulator with a call counter (ABC-SMC runs with one worker, in this process)."""
    from sim.analysis.inference.simulator import Simulator

    class Counted(Simulator):
        def __call__(self, u):
            CALLS["n"] += 1
            return super().__call__(u)

    return Counted(sim.params, sim.prior, sim.statistics, sim.last_week)


def cmd_abc(a: argparse.Namespace) -> None:
    """ABC-SMC (the project's engine, one worker) on one held-out truth or the observed data, capped at --cap simulations."""
    from sim.analysis.inference.engine import infer

    _, sim, names, observed, scales = setup()
    if a.job == "observed":
        x0, truth = observed, None
    else:
        pool = np.load(POOL)
        k = int(a.job)
        x0, truth = pool["x"][k], pool["u"][k]
    sim = _counting(sim)
    CALLS["n"] = 0
    post = infer(sim, dict(zip(names, x0, strict=True)), dict(zip(names, scales, strict=True)), a.population, 50,
                 seed=a.seed, workers=1, max_simulations=a.cap)
    u = post.samples[[f"u:{n}" for n in sim.prior.names]].to_numpy(float)
    rec = {"job": a.job, "truth_u": None if truth is None else truth.tolist(), "u": u.tolist(),
           "w": post.samples["weight"].tolist(), "simulations_pyabc": post.simulations, "simulator_calls": CALLS["n"],
           "generations": post.generations.to_dict("records"), "seconds": post.seconds, "cpu_seconds": post.cpu_seconds,
           "population": a.population, "cap": a.cap}
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / f"inference_abc_{a.job}.json").write_text(json.dumps(rec))
    print(f"ABC-SMC {a.job}: {CALLS['n']} simulator calls ({post.simulations} by pyabc), {len(post.generations)} generations, "
          f"{post.seconds:.0f} s wall, {post.cpu_seconds:.0f} s CPU")


# ---------------------------------------------------------------- metrics (unit cube: prior width 1)

def wquant(x: np.ndarray, w: np.ndarray, q: list[float]) -> np.ndarray:
    order = np.argsort(x, kind="stable")
    x, w = x[order], w[order]
    cdf = (np.cumsum(w) - 0.5 * w) / w.sum()
    return np.interp(q, cdf, x)


def summarise(u: np.ndarray, w: np.ndarray) -> dict[str, list[float]]:
    """Weighted mean and central 90% interval of each parameter's samples."""
    w = w / w.sum()
    lo, hi = zip(*(wquant(u[:, j], w, [(1 - MASS) / 2, (1 + MASS) / 2]) for j in range(u.shape[1])), strict=True)
    return {"mean": (w @ u).tolist(), "lo": list(lo), "hi": list(hi)}


def metrics(posts: list[dict[str, list[float]]], truths: np.ndarray) -> dict[str, list[float]]:
    """Per parameter over the truths: coverage of the 90% interval, mean |mean - truth|, mean 90% width."""
    mean = np.array([p["mean"] for p in posts])
    lo, hi = np.array([p["lo"] for p in posts]), np.array([p["hi"] for p in posts])
    return {"coverage": ((lo <= truths) & (truths <= hi)).mean(0).tolist(),
            "error": np.abs(mean - truths).mean(0).tolist(), "width": (hi - lo).mean(0).tolist(), "n": len(truths)}


def rejection(xs_train: np.ndarray, us_train: np.ndarray, x0: np.ndarray, frac: float = 0.05) -> np.ndarray:
    """Rejection ABC: the parameters of the nearest ``frac`` of the simulations (scaled Euclidean distance)."""
    d = np.sqrt(np.nansum((xs_train - x0) ** 2, axis=1))
    d[~np.isfinite(xs_train).all(1)] = np.inf
    keep = max(2, round(frac * len(d)))
    return us_train[np.argsort(d, kind="stable")[:keep]]


def _sbi():
    try:
        import sbi
        import torch
    except ImportError:
        raise SystemExit("the report needs sbi (not a project dependency: it pulls torch). Install it in a throwaway venv:\n"
                         "  python -m venv .venv-sbi && .venv-sbi/bin/pip install -e '.[calibrate]' sbi\n"
                         "  .venv-sbi/bin/python benchmarks/bench_inference.py report") from None
    return sbi, torch


def npe(u_train: np.ndarray, x_train: np.ndarray, seed: int):
    """Train sbi's NPE (default density estimator) on the unit-cube prior; returns the posterior and timings."""
    _, torch = _sbi()
    from sbi.inference import NPE
    from sbi.utils import BoxUniform

    torch.manual_seed(seed)
    torch.set_num_threads(1)  # one core, as each ABC-SMC run had
    d = u_train.shape[1]
    prior = BoxUniform(torch.zeros(d), torch.ones(d))
    t, c = time.time(), time.process_time()
    inference = NPE(prior=prior, show_progress_bars=False)
    estimator = inference.append_simulations(torch.as_tensor(u_train, dtype=torch.float32),
                                             torch.as_tensor(x_train, dtype=torch.float32)).train()
    posterior = inference.build_posterior(estimator)
    info = {"train_seconds": time.time() - t, "train_cpu_seconds": time.process_time() - c,
            "epochs": int(inference.summary["epochs_trained"][-1]) if "epochs_trained" in inference.summary else None,
            "best_validation_loss": float(inference.summary["best_validation_loss"][-1])
            if "best_validation_loss" in inference.summary else None}
    return posterior, prior, info


def cmd_report(a: argparse.Namespace) -> None:
    _spec, sim, names, observed, scales = setup()
    _, torch = _sbi()
    from sbi.diagnostics import check_sbc, run_sbc

    pool = np.load(POOL)
    u_all, x_all = pool["u"], pool["x"] / scales
    n, m = len(u_all), a.m
    finite = np.isfinite(x_all).all(1)
    u_tr, x_tr = u_all[m:][finite[m:]], x_all[m:][finite[m:]]
    held = np.arange(m)[finite[:m]]
    u_te, x_te = u_all[held], x_all[held]
    posterior, _prior, info = npe(u_tr, x_tr, a.seed)
    torch.manual_seed(a.seed + 1)
    t, c = time.time(), time.process_time()
    npe_posts = []
    for x0 in x_te:
        s = posterior.sample((a.samples,), x=torch.as_tensor(x0, dtype=torch.float32), show_progress_bars=False).numpy()
        npe_posts.append(summarise(s, np.ones(len(s))))
    info["sample_seconds"], info["sample_cpu_seconds"] = time.time() - t, time.process_time() - c
    t, c = time.time(), time.process_time()
    thetas, xs = torch.as_tensor(u_te, dtype=torch.float32), torch.as_tensor(x_te, dtype=torch.float32)
    ranks, dap = run_sbc(thetas, xs, posterior, num_posterior_samples=a.samples, num_workers=1, show_progress_bar=False)
    checks = check_sbc(ranks, thetas, dap, num_posterior_samples=a.samples)
    info["sbc_seconds"], info["sbc_cpu_seconds"] = time.time() - t, time.process_time() - c
    sbc = {k: np.asarray(v).tolist() for k, v in checks.items()}
    sbc["ranks"] = np.asarray(ranks).tolist()
    rej_posts = [summarise(s, np.ones(len(s))) for s in (rejection(x_tr, u_tr, x0) for x0 in x_te)]
    rej_ranks = [(rejection(x_tr, u_tr, x0) < t_).mean(0).tolist() for x0, t_ in zip(x_te, u_te, strict=True)]
    curve = {}
    for size in (c for c in a.curve if c < len(u_tr)):  # NPE with fewer simulations: what the network gains per simulation
        post_s, _, info_s = npe(u_tr[:size], x_tr[:size], a.seed)
        torch.manual_seed(a.seed + 1)
        ps = [summarise(smp, np.ones(len(smp))) for smp in (post_s.sample((a.samples,), x=torch.as_tensor(x0, dtype=torch.float32),
                                                                            show_progress_bars=False).numpy() for x0 in x_te)]
        curve[str(size)] = {"metrics": metrics(ps, u_te), "train_cpu_seconds": info_s["train_cpu_seconds"]}
    abc_runs = {p.stem.removeprefix("inference_abc_"): json.loads(p.read_text()) for p in sorted(OUT.glob("inference_abc_*.json"))}
    k_jobs = sorted(int(k) for k in abc_runs if k.isdigit() and int(k) in set(held.tolist()))
    abc_posts = [summarise(np.array(abc_runs[str(k)]["u"]), np.array(abc_runs[str(k)]["w"])) for k in k_jobs]
    idx = [int(np.where(held == k)[0][0]) for k in k_jobs]
    res = {
        "setup": {"spec": str(SPEC.relative_to(ROOT)), "overrides": OVERRIDES, "parameters": sim.prior.names, "statistics": names,
                  "scales": scales.tolist(), "N": int(n), "M": len(held), "train": len(u_tr),
                  "nonfinite_dropped": int((~finite).sum()), "pool_cpu_seconds_per_sim": float(np.mean(pool["cpu"])),
                  "posterior_samples": a.samples, "seed": a.seed,
                  "versions": {p: _v(p) for p in ("sbi", "torch", "pyabc", "numpy", "mesa")}, "python": sys.version.split()[0]},
        "npe": {**info, "metrics": metrics(npe_posts, u_te), "sbc": sbc, "simulations": len(u_tr), "fewer_simulations": curve},
        "rejection": {"metrics": metrics(rej_posts, u_te), "ranks": rej_ranks, "simulations": len(u_tr), "kept": 0.05},
        "abc_smc": {"jobs": k_jobs, "metrics": metrics(abc_posts, u_te[idx]) if k_jobs else None,
                    "npe_same_truths": metrics([npe_posts[i] for i in idx], u_te[idx]) if k_jobs else None,
                    "rejection_same_truths": metrics([rej_posts[i] for i in idx], u_te[idx]) if k_jobs else None,
                    "runs": {k: {f: r[f] for f in ("simulator_calls", "simulations_pyabc", "seconds", "cpu_seconds", "population",
                                                    "cap", "generations")} for k, r in abc_runs.items()},
                    "per_truth": {str(k): {"truth": u_te[i].tolist(), "abc_smc": ap, "npe": npe_posts[i], "rejection": rej_posts[i]}
                                  for k, i, ap in zip(k_jobs, idx, abc_posts, strict=True)}},
        "observed": observed_comparison(sim, observed / scales, posterior, x_tr, u_tr, abc_runs, a, torch),
    }
    (OUT / "inference_comparison.json").write_text(json.dumps(res, indent=1))
    print_table(res)


def observed_comparison(sim, x_obs, posterior, x_tr, u_tr, abc_runs, a, torch) -> dict:
    """Posterior mean and 90% interval (parameter values) of each method on the spec's 2022 observations."""
    torch.manual_seed(a.seed + 2)
    s_npe = posterior.sample((a.samples,), x=torch.as_tensor(x_obs, dtype=torch.float32), show_progress_bars=False).numpy()
    draws = {"npe": (s_npe, np.ones(len(s_npe))), "rejection": (rejection(x_tr, u_tr, x_obs), None)}
    if "observed" in abc_runs:
        draws["abc_smc"] = (np.array(abc_runs["observed"]["u"]), np.array(abc_runs["observed"]["w"]))
    # NPE's mass inside the prior at x: near 1 where the network has seen data like x, low where it extrapolates.
    out = {"nearest_scaled_distance": float(np.sort(np.sqrt(((x_tr - x_obs) ** 2).sum(1)))[0]),
           "npe_mass_in_prior": float(posterior.leakage_correction(torch.as_tensor(x_obs, dtype=torch.float32)))}
    for method, (u, w) in draws.items():
        w = np.ones(len(u)) if w is None else w
        vals = np.array([[sim.prior.values(dict(zip(sim.prior.names, row, strict=True)))[nm] for nm in sim.prior.names] for row in u])
        out[method] = summarise(vals, w)
    return out


def _v(pkg: str) -> str:
    try:
        return version(pkg)
    except PackageNotFoundError:
        return "not installed"


def print_table(res: dict) -> None:
    names = [p.split(".")[-1] for p in res["setup"]["parameters"]]
    print(f"N={res['setup']['N']} M={res['setup']['M']} train={res['setup']['train']}  (unit cube: prior width 1)")
    rows = [("NPE", res["npe"]["metrics"]), ("rejection 5%", res["rejection"]["metrics"])]
    if res["abc_smc"]["metrics"]:
        rows += [("ABC-SMC", res["abc_smc"]["metrics"]), ("NPE same K", res["abc_smc"]["npe_same_truths"]),
                 ("rej. same K", res["abc_smc"]["rejection_same_truths"])]
    print(f"{'method':14s} {'n':>4s} {'metric':9s} " + " ".join(f"{n[:10]:>10s}" for n in names))
    for label, mt in rows:
        for key in ("coverage", "error", "width"):
            print(f"{label:14s} {mt['n']:4d} {key:9s} " + " ".join(f"{v:10.3f}" for v in mt[key]))
    for size, c in res["npe"]["fewer_simulations"].items():
        mt = c["metrics"]
        parts = [f"{key} " + " ".join(f"{v:.2f}" for v in mt[key]) for key in ("coverage", "error", "width")]
        print(f"NPE on {size:>4s} sims: " + " | ".join(parts))
    print("SBC KS p-values (NPE):", [round(v, 3) for v in res["npe"]["sbc"].get("ks_pvals", [])])
    r = res["npe"]
    print(f"NPE: train {r['train_seconds']:.0f} s wall / {r['train_cpu_seconds']:.0f} s CPU, sampling {r['sample_seconds']:.1f} s")
    for k, r in res["abc_smc"]["runs"].items():
        print(f"ABC-SMC {k}: {r['simulator_calls']} simulations, {r['seconds']:.0f} s wall, {r['cpu_seconds']:.0f} s CPU")
    obs = res["observed"]
    print(f"observed 2022 statistics (nearest simulation at scaled distance {obs['nearest_scaled_distance']:.2f}; "
          f"NPE mass inside the prior {obs['npe_mass_in_prior']:.3f}):")
    for j, p in enumerate(res["setup"]["parameters"]):
        print(f"  {p:36s} " + "  ".join(f"{m}: {obs[m]['mean'][j]:.4g} [{obs[m]['lo'][j]:.4g}, {obs[m]['hi'][j]:.4g}]"
                                       for m in ("npe", "rejection", "abc_smc") if m in obs))


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("pool", help="N prior simulations (cached)")
    s.add_argument("--n", type=int, default=500)
    s.add_argument("--workers", type=int, default=1)
    s = sub.add_parser("abc", help="ABC-SMC on one held-out truth (pool index) or 'observed'")
    s.add_argument("--job", required=True)
    s.add_argument("--cap", type=int, default=400)
    s.add_argument("--population", type=int, default=50)
    s.add_argument("--seed", type=int, default=1)
    s = sub.add_parser("report", help="NPE, rejection ABC, metrics, table and JSON (needs sbi)")
    s.add_argument("--m", type=int, default=100)
    s.add_argument("--samples", type=int, default=1000)
    s.add_argument("--seed", type=int, default=1)
    s.add_argument("--curve", type=int, nargs="*", default=[100, 200], help="also train NPE on this many simulations")
    a = p.parse_args(argv)
    {"pool": cmd_pool, "abc": cmd_abc, "report": cmd_report}[a.cmd](a)


if __name__ == "__main__":
    main()
