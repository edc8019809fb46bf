"""Command line, compatible with upstream's run_server.py:

    python -m rexec_server <broker_addr> [--broker_port 5560] [--heartbeat_interval S] [-v] [--debug]

Environment: REXEC_USER_ID (required: the user whose calls this server runs), REXEC_CREDENTIALS_DIR
(the CURVE credential the deploy API issued: server.key_secret and broker.key; without it the
server connects as upstream's does, which only a broker allowing unauthenticated servers accepts), REXEC_BROKER_ADDR /
REXEC_BROKER_PORT (when no address is given), REXEC_HEARTBEAT_INTERVAL (seconds, default 30,
0 disables), REXEC_MP_START_METHOD (multiprocessing start method, default the platform's).
"""

import argparse
import logging
import os
import signal
import sys

from .server import Credentials, RexecServer


class _Stop(Exception):
    pass


def _raise_stop(signum, frame):
    raise _Stop()


def parse_arguments(argv):
    parser = argparse.ArgumentParser(prog="rexec-server", description="Runs one user's rexec calls, reached through rexec-broker.")
    parser.add_argument("broker_addr", nargs="?", default=os.environ.get("REXEC_BROKER_ADDR"), help="broker host (env REXEC_BROKER_ADDR)")
    parser.add_argument("--broker_port", "--broker-port", default=os.environ.get("REXEC_BROKER_PORT", "5560"))
    parser.add_argument("--heartbeat_interval", "--heartbeat-interval", type=float,
                        default=float(os.environ.get("REXEC_HEARTBEAT_INTERVAL", "30")))
    parser.add_argument("--dspaces_api_addr", default=None, help="accepted for compatibility; DataSpaces arguments need scidx-rexec installed")
    parser.add_argument("-v", "--verbose", action="store_true")
    parser.add_argument("--debug", action="store_true")
    return parser.parse_args(argv)


def main(argv=None):
    arguments = parse_arguments(sys.argv[1:] if argv is None else argv)
    level = logging.DEBUG if arguments.debug else logging.INFO if arguments.verbose else logging.WARNING
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    identity = os.environ.get("REXEC_USER_ID", "").strip()
    if not identity:
        print("rexec-server: REXEC_USER_ID is not set; the broker could not route to this server", file=sys.stderr)
        return 78
    if not arguments.broker_addr:
        print("rexec-server: no broker address (argument or REXEC_BROKER_ADDR)", file=sys.stderr)
        return 78
    if arguments.heartbeat_interval < 0:
        print("rexec-server: --heartbeat_interval must be 0 (off) or positive", file=sys.stderr)
        return 78
    credentials = None
    directory = os.environ.get("REXEC_CREDENTIALS_DIR", "").strip()
    if directory:
        try:
            credentials = Credentials.load(directory)
        except (OSError, ValueError) as error:
            print("rexec-server: cannot read the credential in %s: %s" % (directory, error), file=sys.stderr)
            return 78
    else:
        logging.getLogger("rexec_server").warning(
            "REXEC_CREDENTIALS_DIR is not set: connecting without a credential, which the broker refuses unless it allows "
            "unauthenticated servers")
    _enable_dataspaces()
    server = RexecServer(
        "tcp://%s:%s" % (arguments.broker_addr, arguments.broker_port), identity,
        heartbeat_interval=arguments.heartbeat_interval,
        start_method=os.environ.get("REXEC_MP_START_METHOD") or None,
        credentials=credentials,
    )
    signal.signal(signal.SIGTERM, _raise_stop)
    signal.signal(signal.SIGINT, _raise_stop)
    try:
        server.serve()
    except _Stop:
        logging.getLogger("rexec_server").info("stopping")
    finally:
        server.stop()
    return 0


def _enable_dataspaces():
    """DSDataObj arguments resolve on the server side when scidx-rexec is installed."""
    try:
        from rexec.remote_obj import DSDataObj  # noqa: WPS433 (optional dependency)
    except Exception:
        return
    DSDataObj.ctx = "server"


if __name__ == "__main__":
    sys.exit(main())
