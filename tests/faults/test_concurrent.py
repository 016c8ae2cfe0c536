"""Two applies at once against the same account end consistent.

Run as two real `python -m reconciler apply` processes against one sandbox subprocess, with the
monitor watching every number throughout. The docs still say to run applies under a CI
concurrency group (docs/ci.md); this proves that forgetting to is not a disaster.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from .harness import PA, Combo, Monitor, Sandbox, cli_env, make_estate, reconciler, snapshot


def _start(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "reconciler", *args], env=env, cwd=cwd, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


@pytest.mark.parametrize("saved", [False, True], ids=["fresh-plans", "saved-plans"])
def test_two_applies_at_once_end_consistent(tmp_path, saved):
    seed = 4242 + saved
    combo = Combo("concurrent", seed, latency_ms=5, assignment_delay=0.2,
                  modes=(("put_existing", "reject"), ("bulk_existing", "skip")))
    estate = make_estate(random.Random(seed))
    desired = tmp_path / "desired-state"
    desired.mkdir()
    (desired / "estate.yaml").write_text(yaml.safe_dump(estate.desired), encoding="utf-8")
    sb = Sandbox(tmp_path, estate.seed, combo)
    try:
        for n, c in estate.in_flight.items():
            sb.admin.put(f"/assignments/{n.replace('+', '%2B')}",
                         json={"tcr_campaign_id": c, "status": "PENDING_ASSIGNMENT"}).raise_for_status()
        env = cli_env(sb.base_url)
        before = snapshot(sb.state())
        mon = Monitor(sb, estate.undeclared | estate.correct, before)
        mon.start()
        runs = []
        for who in ("a", "b"):
            args = ["apply", "--auto-approve", "--until", "final", "--state-dir", str(tmp_path / f"state-{who}"),
                    "--timeout", "60"]
            if saved:  # a saved plan carries its desired state (--desired with it is an error)
                plan = tmp_path / f"plan-{who}.json"
                r = reconciler("plan", "--out", str(plan), "--desired", str(desired), env=env, cwd=tmp_path)
                assert r.returncode == 0, r.stderr
                args.insert(1, str(plan))
            else:
                args += ["--desired", str(desired)]
            runs.append(args)
        procs = [_start(args, env, tmp_path) for args in runs]
        outs = [p.communicate(timeout=180) for p in procs]
        codes = [p.returncode for p in procs]
        for (out, err), code in zip(outs, codes):
            assert "Traceback" not in err, err
            # 0 applied; 3 a saved change went stale because the other run made it; 4 a number
            # the other run held in flight when this one gave up verifying.
            assert code in (0, 3, 4), f"exit {code}\n{out}\n{err}"
        plan = reconciler("plan", "--detailed-exitcode", "--desired", str(desired), env=env, cwd=tmp_path)
        if plan.returncode != 0:  # only allowed if a run said it did not finish
            assert set(codes) - {0}, plan.stdout
            again = reconciler(*runs[0][:1], "--auto-approve", "--desired", str(desired), "--timeout", "60",
                               "--state-dir", str(tmp_path / "state-c"), env=env, cwd=tmp_path)
            assert again.returncode == 0, again.stdout + again.stderr
            plan = reconciler("plan", "--detailed-exitcode", "--desired", str(desired), env=env, cwd=tmp_path)
        assert plan.returncode == 0, plan.stdout
        mon.stop()
        after = snapshot(sb.state())
        mon.check(after)
        assert not mon.changed, f"numbers that must not change did: {mon.changed}"
        wrong = {n: after.get(n) for n, (p, c) in estate.declared.items() if after.get(n) != (p, c, "ASSIGNED")}
        assert not wrong, wrong
        for who in ("a", "b"):
            for line in (tmp_path / f"state-{who}" / "journal.jsonl").read_text().splitlines():
                json.loads(line)
    finally:
        sb.stop()


def test_two_applies_with_conflicting_files_leave_each_number_on_one_of_the_declared_campaigns(tmp_path):
    """Two repositories disagree about a number: whoever writes last wins, but it never ends with none."""
    seed = 4250
    combo = Combo("conflict", seed, latency_ms=5, modes=(("put_existing", "replace"),))
    estate = make_estate(random.Random(seed))
    sb = Sandbox(tmp_path, estate.seed, combo)
    try:
        env = cli_env(sb.base_url)
        # Repository b wants every CTLX001 number on CTLX002 and vice versa.
        swapped = json.loads(json.dumps(estate.desired).replace("CTLX001", "CTLXTMP").replace("CTLX002", "CTLX001")
                             .replace("CTLXTMP", "CTLX002"))
        folders = []
        for who, doc in (("a", estate.desired), ("b", swapped)):
            d = tmp_path / f"desired-{who}"
            d.mkdir()
            (d / "estate.yaml").write_text(yaml.safe_dump(doc), encoding="utf-8")
            folders.append(d)
        before = snapshot(sb.state())
        mon = Monitor(sb, set(estate.undeclared), before)
        mon.start()
        procs = [_start(["apply", "--auto-approve", "--desired", str(d), "--timeout", "60",
                         "--state-dir", str(tmp_path / f"state-{i}")], env, tmp_path)
                 for i, d in enumerate(folders)]
        outs = [p.communicate(timeout=180) for p in procs]
        for p, (out, err) in zip(procs, outs):
            assert "Traceback" not in err, err
            assert p.returncode in (0, 3, 4), f"exit {p.returncode}\n{out}\n{err}"
        mon.stop()
        after = snapshot(sb.state())
        mon.check(after)
        assert not mon.changed, f"undeclared numbers changed: {mon.changed}"
        for n, (p, c) in estate.declared.items():
            allowed = {"CTLX001", "CTLX002"} if c in ("CTLX001", "CTLX002") else {c}
            prof, camp, status = after[n]
            assert prof == p and camp in allowed and status in ("ASSIGNED", "PENDING_ASSIGNMENT"), (n, after[n])
    finally:
        sb.stop()


def test_a_number_another_apply_reassigns_while_this_one_waits_for_its_unassignment(estate_env):
    """The race found by the test above, made deterministic through a proxy.

    put_existing=reject, so a reassignment is DELETE, wait until the record is gone, POST. Right
    after our DELETE, "the other apply" puts the number on the declared campaign. Waiting for
    the record to disappear would wait for ever (until --timeout, exit 4); apply must notice
    that someone else holds the number now, and let the next round re-plan.
    """
    import time

    from .proxy import HostileProxy

    env = estate_env(seed=31, converged=True, modes={"put_existing": "reject"})
    number, (_, campaign) = next((n, pc) for n, pc in sorted(env.estate.declared.items()) if pc[0] != PA)
    quoted = number.replace("+", "%2B")
    env.admin.put(f"/assignments/{quoted}", json={"tcr_campaign_id": "CTLX009", "status": "ASSIGNED"}
                  ).raise_for_status()

    def other_apply_wins(req, status):
        if req.method == "DELETE" and req.path.endswith(quoted) and status < 300:
            env.admin.put(f"/assignments/{quoted}", json={"tcr_campaign_id": campaign, "status": "ASSIGNED"}
                          ).raise_for_status()

    with HostileProxy(env.sb.base_url, after=other_apply_wins) as proxy:
        t0 = time.monotonic()
        r = env.run("apply", "--auto-approve", "--state-dir", str(env.state_dir), "--timeout", "20",
                    env={"TELNYX_API_BASE_URL": proxy.base_url})
        took = time.monotonic() - t0
    assert r.code == 0, r.out + r.err
    assert took < 10, f"apply waited {took:.0f}s for a record someone else had replaced"
    assert env.assignments()[number] == (campaign, "ASSIGNED")
