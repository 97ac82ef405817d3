"""Sweeps survive what users do to them (issue 15): kills, races, damaged and partial folders, bad places.

Each case asserts what the user sees: the exit code, a message naming the folder or file, no
traceback, and what is (not) left on disk or running. Folders are made once by a real serial sweep
and then damaged the way a kill, a full disk or a stray edit would.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from conftest import BASELINE, REPO, TINY, scamsim_command

from sim.cli.main import main
from sim.experiments import load_results, run_sweep
from sim.experiments.lock import FolderLock
from sim.experiments.store import StoreError, complete_keys, part_name

SENS = f"""
[experiment]
name = "sens"
scenario = "{BASELINE}"
weeks = 30
seed = 3
counterfactual = false
measures = ["end.workers_held"]

[set]
"run.burn_in_weeks" = 5

[uncertain]
"labour.inflow_per_week" = [600, 2400]

[sensitivity]
trajectories = 2
"""


def scamsim(*args: str) -> tuple[int, str, str]:
    """Run ``scamsim`` in this process; (exit code, stdout, stderr). Every call here must end without a traceback."""
    import contextlib
    import io

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(args))
    assert "Traceback" not in err.getvalue() + out.getvalue(), err.getvalue()
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    """A finished tiny sweep in six one-run chunks, a sweep whose runs all failed, and the experiment file."""
    base = tmp_path_factory.mktemp("rel")
    exp = base / "tiny.toml"
    exp.write_text(TINY)
    full = base / "full"
    assert run_sweep(exp, out=full, workers=1, chunk_size=1, progress=False).succeeded == 6

    from sim.experiments import worker

    real = worker.simulate_run
    worker.simulate_run = lambda spec, burn_in: (_ for _ in ()).throw(RuntimeError("injected failure (test)"))
    try:
        failed = base / "failed"
        assert run_sweep(exp, out=failed, workers=1, chunk_size=1, progress=False).failed == 6
    finally:
        worker.simulate_run = real
    return exp, full, failed


def damaged(kind: str, made, tmp_path: Path) -> Path:
    """A copy of a results folder damaged as ``kind`` says."""
    _, full, failed = made
    out = tmp_path / kind
    if kind == "missing":
        return out
    if kind == "non-results":
        out.mkdir()
        (out / "notes.txt").write_text("my notes\n")
        return out
    shutil.copytree(failed if kind == "all-failed" else full, out)
    keys = complete_keys(out)
    if kind == "empty":  # killed before the first chunk was written
        for t in ("results", "series", "moves", "errors"):
            shutil.rmtree(out / t)
        m = json.loads((out / "manifest.json").read_text())
        m["status"] = "interrupted"
        (out / "manifest.json").write_text(json.dumps(m))
    elif kind == "partial":  # the chunks of the counterfactual runs missing (every design point keeps its runs)
        import pandas as pd

        roles = {k: set(pd.read_parquet(out / "results" / part_name(k))["role"]) for k in keys}
        gone = [k for k in keys if roles[k] == {"counterfactual"}] or keys[:1]
        for key in gone:
            for t in ("results", "series", "moves", "errors"):
                (out / t / part_name(key)).unlink()
    elif kind == "bad-manifest":
        (out / "manifest.json").write_text('{"format": 1, "experiment": {"name": "tiny"')
    elif kind == "truncated":
        part = out / "results" / part_name(keys[0])
        data = part.read_bytes()
        part.write_bytes(data[: len(data) // 2])
    return out


# (folder, exit code of table and plot, words their message must hold)
READ_CASES = [
    ("missing", 2, "no manifest.json"),
    ("non-results", 2, "not a results folder"),
    ("empty", 2, "no finished runs yet (0 of 6 planned"),
    ("partial", 0, "partial: 4 of 6 planned runs are present"),
    ("all-failed", 2, "every recorded run failed (6 of 6 planned)"),
    ("bad-manifest", 2, "manifest.json: unreadable manifest"),
    ("truncated", 2, "damaged Parquet part"),
]


@pytest.mark.parametrize(("kind", "code", "words"), READ_CASES, ids=[c[0] for c in READ_CASES])
@pytest.mark.parametrize("command", ["table", "plot"])
def test_table_and_plot_on_every_kind_of_folder(made, tmp_path, command, kind, code, words):
    folder = damaged(kind, made, tmp_path)
    got, out, err = scamsim(command, str(folder))
    assert got == code, err
    assert words in err and str(folder) in err, err
    if code == 2:
        assert err.startswith("error: ") and not out
    elif command == "table":
        assert out.startswith("| point |") and out.count("\n") >= 3  # header, rule and the points that have runs
    if kind == "truncated":
        assert f"--out {folder} --resume moves it aside and redoes its runs (" in err
    if kind == "missing":
        assert not folder.exists()


# (folder, exit code of sweep --resume, words in stderr, runs present afterwards or None)
RESUME_CASES = [
    ("missing", 2, "nothing to resume", None),
    ("non-results", 2, "nothing to resume", None),
    ("empty", 0, "", 6),
    ("partial", 0, "", 6),
    ("all-failed", 1, "6 runs failed", 0),
    ("bad-manifest", 2, "manifest.json: unreadable manifest", None),
    ("truncated", 0, "is damaged (not readable Parquet); moved it to", 6),
]


@pytest.mark.parametrize(("kind", "code", "words", "runs"), RESUME_CASES, ids=[c[0] for c in RESUME_CASES])
def test_sweep_resume_on_every_kind_of_folder(made, tmp_path, kind, code, words, runs):
    folder = damaged(kind, made, tmp_path)
    before = sorted(p.relative_to(folder) for p in folder.rglob("*")) if folder.exists() else None
    got, _, err = scamsim("sweep", str(made[0]), "--out", str(folder), "--resume", "--workers", "1")
    assert got == code and words in err, err
    if runs is None:  # refused: the folder is as it was (and a missing one was not created)
        after = sorted(p.relative_to(folder) for p in folder.rglob("*")) if folder.exists() else None
        assert after == before
        return
    res = load_results(folder)
    assert res.counts()[0] == runs
    m = res.manifest
    assert m["status"] == ("complete" if runs == 6 else "complete_with_failures")
    assert m["counts"]["pending"] == 0 and not (folder / ".lock").exists()
    if kind == "truncated":
        assert list(folder.glob("results/.damaged-part-*.parquet"))
        assert scamsim("table", str(folder))[0] == 0


def test_manifest_says_complete_only_when_no_run_failed(made):
    _, full, failed = made
    assert json.loads((full / "manifest.json").read_text())["status"] == "complete"
    m = json.loads((failed / "manifest.json").read_text())
    assert m["status"] == "complete_with_failures" and m["counts"]["failed"] == 6


@pytest.fixture(scope="module")
def sensitivity_folder(tmp_path_factory):
    base = tmp_path_factory.mktemp("sens")
    spec = base / "sens.toml"
    spec.write_text(SENS)
    out = base / "morris"
    code, _, err = scamsim("sensitivity", str(spec), "--method", "morris", "--workers", "1", "--out", str(out))
    assert code == 0, err
    return spec, out


@pytest.mark.parametrize(("kind", "code", "words"), [
    ("missing", 2, "nothing to resume"), ("non-results", 2, "nothing to resume"), ("empty", 0, ""), ("partial", 0, ""),
    ("bad-manifest", 2, "unreadable manifest"), ("truncated", 0, "moved it to")])
def test_sensitivity_resume_on_every_kind_of_folder(sensitivity_folder, tmp_path, kind, code, words):
    spec, out = sensitivity_folder
    folder = damaged(kind, (spec, out, out), tmp_path)
    got, stdout, err = scamsim("sensitivity", str(spec), "--method", "morris", "--workers", "1", "--out", str(folder),
                               "--resume")
    assert got == code and words in err, err
    if code == 0:
        assert "end.workers_held (mu_star" in stdout
        assert load_results(folder).counts() == (4, 0, 4)
    elif kind == "missing":
        assert not folder.exists()


# ---- unusable places and schedulers --------------------------------------------------------------------

@pytest.mark.parametrize("place", ["a-file", "under-a-file", "unwritable"])
def test_unusable_out_is_refused_before_any_work(made, sensitivity_folder, tmp_path, place):
    if place == "unwritable" and os.geteuid() == 0:
        pytest.skip("root can write anywhere")
    blocker = tmp_path / "blocker"
    if place == "unwritable":
        blocker.mkdir(mode=0o555)
        out = blocker / "out"
    else:
        blocker.write_text("x")
        out = blocker if place == "a-file" else blocker / "deeper" / "out"
    commands = [("sweep", str(made[0]), "--workers", "1"), ("sensitivity", str(sensitivity_folder[0]), "--workers", "1")]
    if place != "a-file":  # plot's --out names a file to write (FILE.png, FILE.svg), so an existing file is no problem
        commands.append(("plot", str(made[1])))
    for args in commands:
        code, _, err = scamsim(*args, "--out", str(out))
        assert code == 2 and f"--out {out}" in err, (args, err)
    assert not out.exists() or place == "a-file"


@pytest.mark.parametrize("address", ["tcp://127.0.0.1:9", "not an address", "tcp://10.255.255.1:8786"])
def test_bad_scheduler_fails_fast_and_writes_nothing(made, tmp_path, address):
    pytest.importorskip("distributed")
    out = tmp_path / "dask"
    t0 = time.monotonic()
    code, _, err = scamsim("sweep", str(made[0]), "--scheduler", address, "--out", str(out))
    assert code == 2 and f"--scheduler {address}: cannot connect" in err, err
    assert time.monotonic() - t0 < 20
    assert not out.exists()


def test_sensitivity_sizes_are_capped(tmp_path):
    from sim.analysis.sensitivity import load_sensitivity
    from sim.scenario.loader import ScenarioError

    for key, value in (("trajectories", 10**9), ("base_samples", 2**40), ("resamples", 10**9)):
        path = tmp_path / f"{key}.toml"
        path.write_text(SENS.replace("trajectories = 2", f"trajectories = 2\n{key} = {value}" if key != "trajectories"
                                     else f"trajectories = {value}"))
        with pytest.raises(ScenarioError) as info:
            load_sensitivity(path)
        assert any(p.startswith(f"{path}: sensitivity.{key} = {value}") and "at most" in p for p in info.value.problems)


# ---- the lock --------------------------------------------------------------------------------------------

def _hammer(root: str, seconds: float, violations, acquired) -> None:
    """Take and release the lock for ``seconds``; while holding it, an O_EXCL marker proves nobody else does."""
    marker = Path(root) / "holder"
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        lk = FolderLock(Path(root))
        try:
            lk.acquire()
        except StoreError:
            continue
        try:
            fd = os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        except FileExistsError:
            with violations.get_lock():
                violations.value += 1
        else:
            os.close(fd)
            with acquired.get_lock():
                acquired.value += 1
            time.sleep(0.0005)
            marker.unlink()
        finally:
            lk.release()


def test_one_holder_among_many_threads_and_processes(tmp_path):
    ctx = multiprocessing.get_context("fork")
    violations, acquired = ctx.Value("i", 0), ctx.Value("i", 0)
    procs = [ctx.Process(target=_hammer, args=(str(tmp_path), 2.0, violations, acquired)) for _ in range(4)]
    threads = [threading.Thread(target=_hammer, args=(str(tmp_path), 2.0, violations, acquired)) for _ in range(8)]
    for w in (*procs, *threads):
        w.start()
    for w in (*procs, *threads):
        w.join()
    assert violations.value == 0
    assert acquired.value > 20  # the lock did change hands


def test_simultaneous_sweeps_one_wins(made, tmp_path):
    """Many acquirers released at the same instant: exactly one holds the lock; the rest are told it is held, and by
    which process once the holder has written its number."""
    root = tmp_path / "race"
    form = re.compile(rf"is in use by another sweep( \(process {os.getpid()}\))?; wait for it to finish")
    named = 0
    for _ in range(20):
        barrier = threading.Barrier(12)
        won, lost, locks = [], [], []

        def take(barrier=barrier, won=won, lost=lost, locks=locks):
            lk = FolderLock(root)
            barrier.wait()
            try:
                lk.acquire()
                won.append(lk)
            except StoreError as exc:
                lost.append(str(exc))
            locks.append(lk)

        threads = [threading.Thread(target=take) for _ in range(12)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert len(won) == 1 and len(lost) == 11
        # A loser names the holder, unless it read the lock file in the instant between its creation and its writing.
        assert all(form.search(m) for m in lost), lost
        named += sum(f"(process {os.getpid()})" in m for m in lost)
        won[0].release()
        assert not (root / ".lock").exists()
    assert named > 0  # the holder's number does reach the losers


def test_release_by_a_non_owner_keeps_the_lock(tmp_path):
    owner, other = FolderLock(tmp_path), FolderLock(tmp_path)
    owner.acquire()
    with pytest.raises(StoreError, match=f"process {os.getpid()}"):
        other.acquire()
    other.release()
    assert (tmp_path / ".lock").exists()
    with pytest.raises(StoreError):
        FolderLock(tmp_path).acquire()
    owner.release()
    FolderLock(tmp_path).acquire()


def test_lock_of_a_killed_process_is_free_at_once(tmp_path):
    code = (f"import sys, time; sys.path.insert(0, {str(REPO)!r}); from pathlib import Path; "
            f"from sim.experiments.lock import FolderLock; FolderLock(Path({str(tmp_path)!r})).acquire(); "
            f"print('held', flush=True); time.sleep(60)")
    p = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert p.stdout.readline().strip() == "held"
        with pytest.raises(StoreError, match=f"process {p.pid}"):
            FolderLock(tmp_path).acquire()
    finally:
        p.kill()
        p.communicate()
    lk = FolderLock(tmp_path)
    lk.acquire()  # the kernel dropped the dead process's lock; the leftover file is no obstacle
    assert (tmp_path / ".lock").read_text().strip() == str(os.getpid())
    lk.release()


# ---- killed processes --------------------------------------------------------------------------------------

SLOW = TINY.replace("replications = 2", "replications = 6").replace("weeks = 30", "weeks = 120")


def _children() -> dict[int, list[int]]:
    kids: dict[int, list[int]] = {}
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                stat = (d / "stat").read_text()
            except OSError:
                continue
            fields = stat.rpartition(")")[2].split()
            if fields[0] != "Z":
                kids.setdefault(int(fields[1]), []).append(int(d.name))
    return kids


def _descendants(pid: int) -> set[int]:
    kids, out, todo = _children(), set(), [pid]
    while todo:
        for c in kids.get(todo.pop(), []):
            out.add(c)
            todo.append(c)
    return out


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0] != "Z"
    except OSError:
        return False


def _start_sweep(tmp_path: Path) -> tuple[subprocess.Popen, Path]:
    exp = tmp_path / "slow.toml"
    exp.write_text(SLOW)
    out = tmp_path / "out"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    # Output to files, not pipes: orphaned workers would hold a pipe open, and reading it would wait for them.
    with open(tmp_path / "stdout", "w") as so, open(tmp_path / "stderr", "w") as se:
        p = subprocess.Popen([*scamsim_command(), "sweep", str(exp), "--workers", "2", "--chunk-size", "1", "--out", str(out)],
                             stdout=so, stderr=se, text=True, env=env)
    return p, out


def _wait_for(cond, timeout: float = 60.0, every: float = 0.1) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if cond():
            return True
        time.sleep(every)
    return False


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")
def test_killing_the_sweep_leaves_no_process_behind(tmp_path):
    p, out = _start_sweep(tmp_path)
    try:
        # forkserver and resource tracker (children), and two workers (children of the forkserver)
        assert _wait_for(lambda: len(_descendants(p.pid)) >= 4 and any((out / ".running").glob("*"))), \
            (tmp_path / "stderr").read_text() if p.poll() is not None else "no workers"
        family = _descendants(p.pid)
    finally:
        p.kill()
        p.wait()
    assert _wait_for(lambda: not any(_alive(q) for q in family), timeout=10), \
        [Path(f"/proc/{q}/cmdline").read_text().replace("\0", " ") for q in family if _alive(q)]


@pytest.mark.slow  # 6 s on an idle machine, over 30 s on a busy one
@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")
def test_a_killed_worker_does_not_abort_the_sweep(tmp_path):
    p, out = _start_sweep(tmp_path)
    try:
        def worker_busy() -> list[int]:
            running = {int(m.read_text() or 0) for m in (out / ".running").glob("*")} if (out / ".running").is_dir() else set()
            return sorted(running & _descendants(p.pid))

        assert _wait_for(lambda: bool(worker_busy())), "no worker started a chunk"
        os.kill(worker_busy()[0], signal.SIGKILL)
        p.wait(timeout=300)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    stderr = (tmp_path / "stderr").read_text()
    assert "Traceback" not in stderr and "BrokenProcessPool" not in stderr, stderr
    assert "a worker process died" in stderr and "retrying" in stderr
    assert p.returncode == 0, stderr
    m = json.loads((out / "manifest.json").read_text())
    assert m["status"] == "complete" and m["counts"] == {"runs": 18, "succeeded": 18, "failed": 0, "pending": 0}
    assert not (out / ".running").exists()
