"""Usage errors (an unknown option, a bad option value, a missing argument) exit 1 on every command,
never 2 (click's default, and the contract's code for "changes" and "drift": a scheduled job must
not read a typo as drift), and with --format json print one JSON error document on stdout."""

from __future__ import annotations

import json

import click
import pytest

from reconciler.cli import cli

from .test_scenarios import ESTATE_SEED


def _commands() -> list[tuple[tuple[str, ...], click.Command]]:
    ctx = click.Context(cli)
    out: list[tuple[tuple[str, ...], click.Command]] = []

    def walk(group: click.Group, path: tuple[str, ...]) -> None:
        for name in group.list_commands(ctx):
            cmd = group.get_command(ctx, name)
            assert cmd is not None
            if isinstance(cmd, click.Group):
                walk(cmd, (*path, name))
                if cmd.invoke_without_command:  # `reconciler sandbox` runs on its own too
                    out.append(((*path, name), cmd))
            else:
                out.append(((*path, name), cmd))

    walk(cli, ())
    return out


COMMANDS = _commands()
IDS = [" ".join(path) for path, _ in COMMANDS]
WITH_FORMAT = [path for path, cmd in COMMANDS if any("--format" in p.opts for p in cmd.params)]


def test_every_command_is_covered():
    names = {p[-1] for p, _ in COMMANDS}
    assert {"validate", "plan", "apply", "drift", "status", "resume", "import", "init", "sandbox", "doctor"} <= names
    assert set(WITH_FORMAT) == {("validate",), ("plan",), ("apply",), ("drift",), ("status",), ("resume",),
                                ("doctor",)}


@pytest.fixture
def env(make_env):
    return make_env(seed=ESTATE_SEED)


@pytest.mark.parametrize("path,cmd", COMMANDS, ids=IDS)
def test_an_unknown_option_exits_1_on_every_command(env, path, cmd):
    r = env.run(*path, "--no-such-option")
    assert r.code == 1, f"{' '.join(path)}: exit {r.code}\n{r.out}{r.err}"
    assert "No such option" in r.err and "Traceback" not in r.err


@pytest.mark.parametrize("path,cmd", [(p, c) for p, c in COMMANDS if any(x.required for x in c.params)],
                         ids=[i for i, (p, c) in zip(IDS, COMMANDS) if any(x.required for x in c.params)])
def test_a_missing_argument_or_option_exits_1(env, path, cmd):
    r = env.run(*path)
    assert r.code == 1, f"{' '.join(path)}: exit {r.code}\n{r.out}{r.err}"
    assert "Missing" in r.err


@pytest.mark.parametrize("args", [
    ("drift", "--stuck-after", "3x"),
    ("status", "--stuck-after", "0"),
    ("plan", "--detailed-exitcod"),
    ("plan", "--concurrency", "0"),
    ("apply", "--until", "someday"),
    ("apply", "--note", "no-equals-sign", "--auto-approve"),
    ("import",),  # neither --profile nor --all-profiles
    ("import", "--profile", "x", "--all-profiles"),
    ("validate", "extra-argument"),
    ("no-such-command",),
    ("--no-such-global-option", "plan"),
    (),  # no command at all
], ids=lambda a: " ".join(a) or "(nothing)")
def test_usage_errors_exit_1(env, args):
    r = env.run(*args)
    assert r.code == 1, f"exit {r.code}\n{r.out}{r.err}"
    assert "Traceback" not in r.err


@pytest.mark.parametrize("path", WITH_FORMAT, ids=[" ".join(p) for p in WITH_FORMAT])
@pytest.mark.parametrize("spelling", [("--format", "json"), ("--format=json",)], ids=["separate", "joined"])
def test_with_format_json_a_usage_error_is_one_json_error_document(env, path, spelling):
    for bad in (["--no-such-option"], ["--stuck-after", "3x"] if path in (("drift",), ("status",), ("resume",))
                else ["--concurrency", "many"]):
        r = env.run(*path, *spelling, *bad)
        assert r.code == 1, f"{' '.join(path)} {bad}: exit {r.code}\n{r.out}{r.err}"
        doc = json.loads(r.out)  # one JSON document, and nothing else on stdout
        assert doc["kind"] == "error" and doc["schema_version"] == 1
        assert doc["error"]["type"] == "usage" and doc["error"]["exit_code"] == 1
        assert bad[0] in doc["error"]["message"]
        # Options given before the bad one or after it: the format is read from the command line.
        r = env.run(*path, *bad, *spelling)
        assert r.code == 1 and json.loads(r.out)["error"]["type"] == "usage"


def test_with_format_markdown_a_usage_error_is_an_error_block(env):
    r = env.run("drift", "--format", "markdown", "--stuck-after", "3x")
    assert r.code == 1 and r.out.startswith("**Error** (`usage`, exit 1)"), r.out + r.err


def test_help_and_version_still_exit_0(env):
    for args in (["--help"], ["plan", "--help"], ["--version"], ["ci", "--help"]):
        assert env.run(*args).code == 0, args
