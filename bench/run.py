#!/usr/bin/python3
"""Side-by-side forwarding benchmark: vswitch vs Open vSwitch (DPDK) vs
testpmd.  See bench/README.md; ``bench/run.py --help`` for the options."""

import os
import sys

sys.dont_write_bytecode = True     # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness.cli import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
