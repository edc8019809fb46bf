"""Upstream's entry point name: `python run_server.py <broker_addr> [--broker_port 5560] ...`."""

import sys

from rexec_server.__main__ import main

if __name__ == "__main__":
    sys.exit(main())
