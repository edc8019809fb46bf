"""The server loop: a DEALER whose identity is the user's id, connected to the broker's server
port. Calls run one at a time, in arrival order, each in a fresh child process; events stream
back as they happen. A CANCEL from the client that made a call stops it (or drops it from the
queue); heartbeats tell the broker the server is alive.
"""

import collections
import logging
import os
import time
import uuid

import dill
import zmq

from . import protocol
from .execution import Execution

log = logging.getLogger("rexec_server")


class Call:
    def __init__(self, envelope, function_bytes, args_bytes, name):
        self.envelope = envelope
        self.function_bytes = function_bytes
        self.args_bytes = args_bytes
        self.name = name
        self.events = protocol.EventSequence()
        self.execution = None
        self.finished = False


class Credentials:
    """The server's CURVE key pair and the broker's public key (Z85 bytes), from the two
    certificate files the deploy API issues: <dir>/server.key_secret and <dir>/broker.key."""

    SERVER_FILE = "server.key_secret"
    BROKER_FILE = "broker.key"

    def __init__(self, public_key, secret_key, broker_key):
        self.public_key = public_key
        self.secret_key = secret_key
        self.broker_key = broker_key

    @classmethod
    def load(cls, directory):
        import zmq.auth

        public_key, secret_key = zmq.auth.load_certificate(os.path.join(directory, cls.SERVER_FILE))
        broker_key, _ = zmq.auth.load_certificate(os.path.join(directory, cls.BROKER_FILE))
        if not secret_key or len(public_key) != 40 or len(secret_key) != 40 or len(broker_key) != 40:
            raise ValueError("%s does not hold a CURVE secret certificate and the broker's public one" % directory)
        return cls(public_key, secret_key, broker_key)


class RexecServer:
    # How often a refused handshake is logged.
    REFUSAL_LOG_INTERVAL = 60.0
    FIRST_RECONNECT_DELAY = 0.5
    MAX_RECONNECT_DELAY = 10.0

    def __init__(self, broker_url, identity, heartbeat_interval=30.0, start_method=None, context=None, credentials=None):
        # A context of our own (unless given) so stop() can terminate it: only that waits
        # for queued messages (the goodbye) to be written out before the process exits.
        self.owns_context = context is None
        self.broker_url = broker_url
        self.identity = identity
        self.heartbeat_interval = heartbeat_interval
        self.start_method = start_method
        # Tells the broker when a restarted server has taken the identity over.
        self.instance = ("%s-%d-%s" % (os.uname().nodename, os.getpid(), uuid.uuid4().hex[:8])).encode()
        self.context = context or zmq.Context()
        self.credentials = credentials
        self.socket = None
        self.monitor = None
        # A refused handshake ends libzmq's connection for good (it does not retry after a
        # protocol error): the server opens a new one itself, backing off.
        self.reconnect_at = None
        self.reconnect_delay = self.FIRST_RECONNECT_DELAY
        self.last_refusal_log = 0.0
        self.queue = collections.deque()
        self.current = None
        self.next_heartbeat = 0.0
        self.running = False

    # Sending

    def send(self, envelope, payload):
        if self.socket is None:
            # Refused by the broker and not reconnected yet: the client's call is lost with
            # the broker's routing of it (the broker ends it with an error).
            log.debug("dropping an event while not connected")
            return
        self.socket.send_multipart(list(envelope) + [b"", payload])

    def heartbeat(self):
        if self.socket is not None:
            try:
                self.socket.send_multipart([b"", protocol.HEARTBEAT, self.instance], flags=zmq.DONTWAIT)
            except zmq.Again:
                pass
        if self.heartbeat_interval > 0:
            self.next_heartbeat = time.monotonic() + self.heartbeat_interval

    # Receiving

    def on_message(self, frames):
        envelope, body = protocol.split_envelope(frames)
        if envelope is None or not envelope:
            log.warning("dropping a message without a client envelope")
            return
        if body and body[0] == protocol.CANCEL:
            reason = body[-1].decode("utf-8", "replace").strip().lower() if len(body) > 1 else protocol.KEYBOARD_INTERRUPT
            self.on_cancel(envelope, reason)
            return
        if len(body) < 2:
            self.send(envelope, protocol.text(protocol.INVALID_FRAMING))
            return
        try:
            function = dill.loads(body[0])
            dill.loads(body[1])
        except Exception as error:
            self.send(envelope, protocol.text("Invalid function payload: %s" % error))
            return
        name = getattr(function, "__name__", type(function).__name__)
        self.queue.append(Call(envelope, body[0], body[1], name))
        log.info("queued call %s (%d waiting)", name, len(self.queue))

    def on_cancel(self, envelope, reason):
        if reason != protocol.KEYBOARD_INTERRUPT:
            log.info("ignoring cancel with reason %r", reason)
            return
        if self.current is not None and self.current.envelope == envelope:
            log.info("cancelling running call %s", self.current.name)
            self.current.execution.kill()
            self.finish(self.current, protocol.END, cancelled=True, reason="keyboard interrupt")
            return
        for call in list(self.queue):
            if call.envelope == envelope:
                self.queue.remove(call)
                self.finish(call, protocol.END, cancelled=True, reason="keyboard interrupt")
                return
        log.info("cancel for no call of this client; ignored")

    # Calls

    def start_next(self):
        if self.current is not None or not self.queue:
            return
        call = self.queue.popleft()
        self.send(call.envelope, call.events.event(protocol.START, function=call.name))
        call.execution = Execution(call.function_bytes, call.args_bytes, self.start_method)
        self.current = call

    def on_child_report(self):
        call = self.current
        report = call.execution.read()
        if report is None:
            code = call.execution.exit_code()
            call.execution.close()
            if not call.finished:
                self.finish(call, protocol.ERROR, message="Execution process exited unexpectedly with code %s." % code, details="")
            return
        kind = report[0]
        if kind in (protocol.STDOUT, protocol.STDERR, protocol.YIELD, protocol.RETURN):
            self.send(call.envelope, call.events.event(protocol.DATA, channel=kind, data=report[1]))
        elif kind == "done":
            self.finish(call, protocol.END)
        elif kind == "error":
            self.finish(call, protocol.ERROR, message=report[1], details=report[2])

    def finish(self, call, kind, **fields):
        if call.finished:
            return
        call.finished = True
        self.send(call.envelope, call.events.event(kind, **fields))
        if call is self.current:
            if not fields.get("cancelled"):
                # The child reported its end and exits right after; reap it before the next call.
                call.execution.exit_code()
            call.execution.close()
            self.current = None

    # Loop

    def open_socket(self):
        self.socket = self.context.socket(zmq.DEALER)
        if self.credentials is not None:
            # The broker knows this server by its key, not by a stated identity: the routing
            # id is left to the broker, so no other peer can take or block ours.
            self.socket.curve_secretkey = self.credentials.secret_key
            self.socket.curve_publickey = self.credentials.public_key
            self.socket.curve_serverkey = self.credentials.broker_key
        else:
            # Upstream's way (only a broker that allows unauthenticated servers accepts it).
            self.socket.setsockopt(zmq.IDENTITY, self.identity.encode("utf-8"))
        self.socket.setsockopt(zmq.LINGER, 1000)
        self.monitor = self.socket.get_monitor_socket(
            zmq.EVENT_HANDSHAKE_FAILED_AUTH | zmq.EVENT_HANDSHAKE_FAILED_PROTOCOL | zmq.EVENT_HANDSHAKE_FAILED_NO_DETAIL
            | zmq.EVENT_HANDSHAKE_SUCCEEDED)
        self.socket.connect(self.broker_url)

    def close_socket(self, linger=None):
        if self.socket is None:
            return
        self.socket.disable_monitor()
        self.monitor.close(linger=0)
        self.socket.close(linger=linger)
        self.socket = None
        self.monitor = None

    def on_monitor_event(self):
        from zmq.utils.monitor import recv_monitor_message

        while True:
            try:
                event = recv_monitor_message(self.monitor, zmq.DONTWAIT)
            except zmq.Again:
                return
            if event["event"] == zmq.EVENT_HANDSHAKE_SUCCEEDED:
                log.info("the broker accepted this server%s", " (CURVE)" if self.credentials else "")
                self.reconnect_delay = self.FIRST_RECONNECT_DELAY
                # The broker routes to a connection once it has heard from it: say so on every
                # (re)connection, e.g. after a broker restart, not only at the next heartbeat.
                self.heartbeat()
                continue
            now = time.monotonic()
            if now - self.last_refusal_log >= self.REFUSAL_LOG_INTERVAL:
                self.last_refusal_log = now
                log.warning("the broker refused this server's handshake (%s); retrying in %.1f s. A server needs the "
                            "credential its deploy API issued, and a respawn replaces it", "credential refused" if event["event"]
                            == zmq.EVENT_HANDSHAKE_FAILED_AUTH else "no CURVE, or the wrong broker key", self.reconnect_delay)
            self.close_socket(linger=0)
            self.reconnect_at = now + self.reconnect_delay
            self.reconnect_delay = min(self.reconnect_delay * 2, self.MAX_RECONNECT_DELAY)
            return

    def serve(self):
        self.open_socket()
        log.info("connecting to %s as %r%s", self.broker_url, self.identity, " with CURVE" if self.credentials else " WITHOUT a credential")
        self.running = True
        self.heartbeat()
        while self.running:
            if self.socket is None and time.monotonic() >= self.reconnect_at:
                self.open_socket()
            self.start_next()
            poller = zmq.Poller()
            if self.socket is not None:
                poller.register(self.socket, zmq.POLLIN)
                poller.register(self.monitor, zmq.POLLIN)
            if self.current is not None:
                poller.register(self.current.execution.fileno(), zmq.POLLIN)
            deadlines = []
            if self.heartbeat_interval > 0:
                deadlines.append(self.next_heartbeat)
            if self.socket is None:
                deadlines.append(self.reconnect_at)
            timeout = max(0, int((min(deadlines) - time.monotonic()) * 1000)) if deadlines else None
            events = dict(poller.poll(timeout))
            if self.current is not None and self.current.execution.fileno() in events:
                self.on_child_report()
            if self.monitor is not None and self.monitor in events:
                self.on_monitor_event()
            if self.socket is not None and self.socket in events:
                while True:
                    try:
                        frames = self.socket.recv_multipart(zmq.DONTWAIT)
                    except zmq.Again:
                        break
                    self.on_message(frames)
            if self.heartbeat_interval > 0 and time.monotonic() >= self.next_heartbeat:
                self.heartbeat()

    def stop(self):
        self.running = False
        if self.current is not None:
            self.current.execution.kill()
        if self.socket is not None:
            try:
                self.socket.send_multipart([b"", protocol.GOODBYE, self.instance], flags=zmq.DONTWAIT)
            except zmq.ZMQError:
                pass
        # close() only hands the goodbye to libzmq's I/O thread; a process that exits right
        # after can take it along unsent (pyzmq does not terminate contexts at exit). term()
        # waits until it is written, up to the socket's LINGER (1 s).
        self.close_socket()
        if self.owns_context:
            self.context.term()
