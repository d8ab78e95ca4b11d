"""vswitch-ctl as an operator meets it: --help on every command, --json on
every read command, and `set Interface` options taking effect."""
import json

import pytest

from conftest import BUILD, run

CTL = str(BUILD / "ctl" / "vswitch-ctl")


def commands():
    """Command names as `vswitch-ctl --help` lists them."""
    out = run([CTL, "--help"]).stdout
    listed = out[out.index("commands:"):].splitlines()[1:]
    return [line.split()[0] for line in listed
            if line.startswith("  ") and not line.startswith("    ")]


def test_every_command_has_help():
    names = commands()
    assert len(names) >= 20, names
    for name in names:
        r = run([CTL, name, "--help"], check=False)
        assert r.returncode == 0, f"{name} --help: {r.stderr}"
        assert f"usage: vswitch-ctl [OPTIONS] {name}" in r.stdout, name


READ_COMMANDS = [
    ("list-br",), ("list-ports", "br0"), ("show",), ("get-global",),
    ("fdb-show", "br0"), ("port-stats",), ("port-stats", "d1"),
    ("pmd-stats-show",), ("pmd-rxq-show",), ("memory-show",), ("version",),
]


@pytest.mark.parametrize("args", READ_COMMANDS, ids=lambda a: " ".join(a))
def test_read_commands_print_json(vswitchd, args):
    vswitchd.ctl("add-br", "br0")
    vswitchd.ctl("add-port", "br0", "d1", "--", "type=dummy")
    human = vswitchd.ctl(*args).stdout
    assert human.strip(), f"{args}: no output"
    parsed = json.loads(vswitchd.ctl("--json", *args).stdout)
    assert parsed is not None


def test_set_interface_options_take_effect(vswitchd):
    vswitchd.ctl("add-br", "br0")
    vswitchd.ctl("add-port", "br0", "d1", "--", "type=dummy")

    def rxqs_of_d1():
        return sorted(q["queue"] for pmd in vswitchd.ctl_json("pmd-rxq-show")
                      for q in pmd["rxqs"] if q["port"] == "d1")
    assert rxqs_of_d1() == [0]
    vswitchd.ctl("set", "Interface", "d1", "options:n_rxq=2")
    assert rxqs_of_d1() == [0, 1]
    r = vswitchd.ctl("set", "Interface", "d1", "options:n_rxq=0", check=False)
    assert r.returncode != 0 and "n_rxq" in r.stderr
    assert rxqs_of_d1() == [0, 1]
