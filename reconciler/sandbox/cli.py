"""`reconciler sandbox` (and `python -m reconciler.sandbox`): run the simulator in the foreground.

The first stdout line is the base URL (flushed at once), so a script can start the process and
read one line to know where to connect. SIGINT/SIGTERM stop it cleanly with exit status 0.
A bad seed or option is a one-paragraph message on stderr and exit status 1, never a traceback.
"""

from __future__ import annotations

import asyncio
import ctypes
import gc
import json
import os
import signal
import sys
import tempfile
from collections.abc import Iterable

import click

from reconciler.sandbox import Options, build_app
from reconciler.sandbox.httpserver import Server
from reconciler.sandbox.limits import Limits
from reconciler.sandbox.modes import MODE_SPECS, ModeError, check_modes, parse_mode_option
from reconciler.sandbox.seed import SeedError
from reconciler.sandbox.timing import PRESETS

_MODES_HELP = "; ".join(f"{s.name}={'|'.join(s.values)}" for s in MODE_SPECS.values())


@click.group("sandbox", invoke_without_command=True, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to bind (loopback unless --allow-remote).")
@click.option("--allow-remote", is_flag=True,
              help="Allow a non-loopback --host; the admin surface then needs the API key too.")
@click.option("--port", default=0, show_default=True, type=int, help="TCP port; 0 picks a free one.")
@click.option("--seed", "seed", type=click.Path(dir_okay=False), default=None, help="Seed file (YAML or JSON).")
@click.option("--api-key", default="sandbox-key", show_default=True, help="The only bearer key accepted.")
@click.option("--timing", "timing", type=click.Choice(list(PRESETS)), default="instant", show_default=True, help="Delay preset: instant (every step visible on the next request) or realistic (Telnyx's hours: task 60 s, order 60 s, assignment 2 h, unassignment 1 h, jitter 0.2, late failures 2%; with --mode carrier_mapping=present, carrier mappings 24 h, 2% failing). The options below override it.")
@click.option("--assignment-delay", default=None, type=float, help="Virtual seconds a record stays PENDING_ASSIGNMENT; given alone, also every other step (a task: twice). Default: from --timing.")
@click.option("--task-delay", default=None, type=float, help="Virtual seconds a bulk assignment task takes (processing halfway). Default: from --timing.")
@click.option("--order-delay", default=None, type=float, help="Virtual seconds a messaging bulk-update order takes. Default: from --timing.")
@click.option("--unassignment-delay", default=None, type=float, help="Virtual seconds a record stays PENDING_UNASSIGNMENT. Default: from --timing.")
@click.option("--timing-jitter", default=None, type=float, help="0..1: each delay × a seeded random factor in [1-J, 1+J]. Default: from --timing.")
@click.option("--late-failure-rate", default=None, type=float, help="0..1: share of PENDING_ASSIGNMENT records that resolve to FAILED_ASSIGNMENT. Default: from --timing.")
@click.option("--carrier-mapping-delay", default=None, type=float, help="Mode carrier_mapping=present: virtual seconds from ASSIGNED until the carriers' mapping is ADDED (or FAILED). Default: from --timing.")
@click.option("--carrier-failure-rate", default=None, type=float, help="Mode carrier_mapping=present: 0..1, share of carrier mappings that end FAILED. Default: from --timing.")
@click.option("--time-scale", default=1.0, show_default=True, type=float, help="Virtual seconds per real second; 0 freezes the clock (only POST /_admin/advance moves it).")
@click.option("--rate-limit", default=None, type=float, help="Token bucket, requests per second (default: unlimited).")
@click.option("--latency-ms", default=0.0, show_default=True, type=float, help="Added to every /v2 response.")
@click.option("--fail-rate", default=0.0, show_default=True, type=float, help="Probability of an injected 500 before any effect.")
@click.option("--random-seed", default=0, show_default=True, type=int, help="Seeds ids, fault injection, timing jitter and late failures.")
@click.option("--header-timeout", default=Limits.header_timeout, show_default=True, type=float,
              help="Seconds a request head may take (a new connection's first from the connect), and the longest "
                   "pause inside a body; late: 408 and closed.")
@click.option("--idle-timeout", default=Limits.idle_timeout, show_default=True, type=float,
              help="Seconds a keep-alive connection may wait between requests, or a client leave a response unread.")
@click.option("--max-connections", default=Limits.max_connections, show_default=True, type=int,
              help="Connections held open at once; beyond it the one waiting longest without a request is closed "
                   "(503 when every one is mid-request).")
@click.option("--mode", "mode_items", multiple=True, metavar="NAME=VALUE", help=f"Repeatable. Defaults first: {_MODES_HELP}.")
@click.option("--modes-from", "modes_from", type=click.Path(dir_okay=False), default=None,
              help="A `reconciler doctor --save` file (doctor.json): behave like that account where reading "
                   "could tell; --mode wins over it.")
@click.pass_context
def sandbox(
    ctx: click.Context,
    host: str,
    allow_remote: bool,
    port: int,
    seed: str | None,
    api_key: str,
    timing: str,
    assignment_delay: float | None,
    task_delay: float | None,
    order_delay: float | None,
    unassignment_delay: float | None,
    timing_jitter: float | None,
    late_failure_rate: float | None,
    carrier_mapping_delay: float | None,
    carrier_failure_rate: float | None,
    time_scale: float,
    rate_limit: float | None,
    latency_ms: float,
    fail_rate: float,
    random_seed: int,
    header_timeout: float,
    idle_timeout: float,
    max_connections: int,
    mode_items: tuple[str, ...],
    modes_from: str | None,
) -> None:
    """Run the local Telnyx API sandbox and print its base URL (`advance`: move a running one's clock;
    `generate`: write a seed for an estate of any size)."""
    if ctx.invoked_subcommand is not None:
        return  # a subcommand talks to a sandbox that is already running
    if not allow_remote and not _is_loopback(host):
        click.echo(f"sandbox: --host {host} is not a loopback address: the sandbox (and its admin surface, which "
                   "rewrites the whole world) would be reachable from the network; pass --allow-remote to mean it",
                   err=True)
        sys.exit(1)
    try:
        limits = Limits(header_timeout, idle_timeout, max_connections)
        modes = {**(_modes_from(modes_from) if modes_from else {}),
                 **dict(parse_mode_option(item) for item in mode_items)}
        options = Options(
            modes=modes, timing=timing, assignment_delay=assignment_delay, task_delay=task_delay,
            order_delay=order_delay, unassignment_delay=unassignment_delay, timing_jitter=timing_jitter,
            late_failure_rate=late_failure_rate, carrier_mapping_delay=carrier_mapping_delay,
            carrier_failure_rate=carrier_failure_rate, time_scale=time_scale, rate_limit=rate_limit,
            latency_ms=latency_ms, fail_rate=fail_rate, random_seed=random_seed, api_key=api_key)
        app = build_app(seed, options)
        app.config.allow_remote = allow_remote
    except SeedError as exc:
        click.echo("sandbox: invalid seed:\n" + "\n".join("  " + p for p in exc.problems), err=True)
        sys.exit(1)
    except (ModeError, ValueError) as exc:
        click.echo(f"sandbox: {exc}", err=True)
        sys.exit(1)
    _release_seed_memory()
    server = Server(app, host, port, limits)
    try:
        server.bind()
    except OSError as exc:
        click.echo(f"sandbox: cannot listen on {host}:{port}: {exc.strerror or exc}", err=True)
        sys.exit(1)
    shown_host = f"[{host}]" if ":" in host else host
    click.echo(f"http://{shown_host}:{server.port}/v2")
    sys.stdout.flush()
    click.echo(f"sandbox: admin surface at http://{shown_host}:{server.port}/_admin; Ctrl-C to stop", err=True)

    def install(loop: asyncio.AbstractEventLoop) -> None:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, loop.stop)

    server.run_forever(install)


def _modes_from(path: str) -> dict[str, str]:
    """The `modes` of a doctor.json (what `reconciler doctor --save` learned from an account). Only the
    sandbox's own modes with one of their values are taken; anything else is an error naming the file."""
    try:
        with open(path, "rb") as f:
            raw = f.read(1_000_001)
        if len(raw) > 1_000_000:
            raise ValueError("larger than 1 MB")
        doc = json.loads(raw)
    except (OSError, ValueError) as exc:
        raise ValueError(f"--modes-from {path}: cannot read it ({exc})") from None
    modes = doc.get("modes") if isinstance(doc, dict) else None
    if not isinstance(modes, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in modes.items()):
        raise ValueError(f"--modes-from {path}: expected a doctor.json with \"modes\": {{name: value}}")
    try:
        return check_modes(modes)
    except ModeError as exc:
        raise ValueError(f"--modes-from {path}: {exc}") from None


def _is_loopback(host: str) -> bool:
    import ipaddress

    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _release_seed_memory() -> None:
    """Hand the parsed seed document's memory back to the OS (it can be larger than the state)."""
    gc.collect()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc: harmless, RSS just stays higher
        pass


_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(text: str) -> float:
    """`90m`, `3h`, `2d`, `45s`, `1h30m` or plain seconds -> seconds."""
    raw = text.strip().lower()
    if not raw:
        raise ValueError("empty duration")
    try:
        return float(raw)
    except ValueError:
        pass
    total, number = 0.0, ""
    for ch in raw:
        if ch.isdigit() or ch == ".":
            number += ch
        elif ch in _UNITS and number:
            total += float(number) * _UNITS[ch]
            number = ""
        else:
            raise ValueError(f"{text[:40]!r} is not a duration (e.g. 90m, 3h, 2d, 1h30m)")
    if number:
        raise ValueError(f"{text[:40]!r} is not a duration: {number} has no unit (s, m, h, d)")
    return total


@sandbox.command("advance")
@click.argument("duration")
@click.option("--url", envvar="TELNYX_API_BASE_URL", required=True, metavar="BASE_URL",
              help="The running sandbox's base URL as it printed it (…/v2); default: $TELNYX_API_BASE_URL.")
def advance(duration: str, url: str) -> None:
    """Move a running sandbox's virtual clock forward by DURATION (90m, 3h, 2d, 1h30m, or seconds):
    Telnyx's hours pass at once (tasks processed, PENDING_* records resolved)."""
    import httpx

    try:
        seconds = parse_duration(duration)
    except ValueError as exc:
        click.echo(f"sandbox advance: {exc}", err=True)
        sys.exit(1)
    base = url.rstrip("/")
    admin = (base[: -len("/v2")] if base.endswith("/v2") else base) + "/_admin/advance"
    key = os.environ.get("TELNYX_API_KEY") or ""
    headers = {"Content-Type": "application/json", **({"Authorization": f"Bearer {key}"} if key else {})}
    try:
        r = httpx.post(admin, json={"seconds": seconds}, headers=headers, timeout=10)
    except httpx.HTTPError as exc:
        click.echo(f"sandbox advance: cannot reach {admin}: {type(exc).__name__}", err=True)
        sys.exit(1)
    if r.status_code != 200:
        detail = "".join(ch for ch in r.text[:300] if ch.isprintable())
        click.echo(f"sandbox advance: {admin} answered HTTP {r.status_code}: {detail}", err=True)
        sys.exit(1)
    now = r.json().get("now") if r.headers.get("content-type", "").startswith("application/json") else None
    click.echo(f"sandbox clock advanced {seconds / 3600:g} h; now {str(now)[:40]}")


@sandbox.command("generate")
@click.option("--numbers", required=True, type=int, help="How many phone numbers the account owns.")
@click.option("--profiles", default=None, type=int,
              help="Messaging profiles to spread them over (one holds the new numbers). Default: one per 250 numbers.")
@click.option("--random-seed", default=0, show_default=True, type=int, help="The same seed gives the same file.")
@click.option("--out", default=None, type=click.Path(dir_okay=False),
              help="Write the seed to this file (default: stdout); an existing file only with --force.")
@click.option("--force", is_flag=True, help="Overwrite an existing --out file (never through a symbolic link).")
def generate_seed(numbers: int, profiles: int | None, random_seed: int, out: str | None, force: bool) -> None:
    """Write a realistic seed for an estate of NUMBERS numbers: profiles, registered and partner
    campaigns (at most 49 numbers each unless pooled), most numbers ASSIGNED, new numbers waiting
    for a campaign. Start a sandbox on it with `reconciler sandbox --seed FILE`."""
    from reconciler.sandbox.generate import dump, generate

    try:
        doc, summary = generate(numbers, profiles, random_seed)
    except ValueError as exc:
        click.echo(f"sandbox generate: {exc}", err=True)
        sys.exit(1)
    command = f"reconciler sandbox generate --numbers {numbers} --profiles {len(doc['messaging_profiles'])} " \
              f"--random-seed {random_seed}"
    chunks = dump(doc, f"{command}\n\n{summary}")
    if out is None:
        for chunk in chunks:
            click.echo(chunk, nl=False)
    else:
        try:
            _write_new(out, chunks, force)
        except OSError as exc:
            click.echo(f"sandbox generate: cannot write {out}: {exc.strerror or exc}", err=True)
            sys.exit(1)
    click.echo(summary, err=True)


def _write_new(path: str, chunks: Iterable[str], force: bool) -> None:
    """Write `chunks` to `path`: an existing file only with `force`, and never through a symbolic
    link (a link planted where the seed goes would otherwise overwrite its target). The seed goes to
    a temporary file beside it first and takes the name only once whole, so a full disk or a kill
    mid-write never leaves half a seed (nor spoils the file --force was replacing)."""
    if os.path.islink(path):
        raise OSError(0, "it is a symbolic link; the seed is never written through one")
    if not force and os.path.lexists(path):
        raise OSError(0, "the file exists; --force overwrites it")
    folder = os.path.dirname(path) or "."
    fd, tmp = tempfile.mkstemp(prefix=".seed-", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.writelines(chunks)
        os.chmod(tmp, 0o644)
        if force:
            os.replace(tmp, path)  # replaces a link itself, never its target
        else:
            os.link(tmp, path)  # fails if the name appeared meanwhile: never overwrites without --force
    except FileExistsError:
        raise OSError(0, "the file exists; --force overwrites it") from None
    finally:
        if os.path.lexists(tmp):
            os.unlink(tmp)


def main() -> None:
    """`python -m reconciler.sandbox`: usage errors exit 1, as under `reconciler sandbox` (the module
    docstring's contract), not click's 2."""
    try:
        rc = sandbox.main(prog_name="python -m reconciler.sandbox", standalone_mode=False)
    except click.ClickException as e:
        e.show()
        sys.exit(1)
    except click.Abort:
        click.echo("Aborted!", err=True)
        sys.exit(1)
    sys.exit(rc if isinstance(rc, int) else 0)
