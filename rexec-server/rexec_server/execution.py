"""One call in a child process.

The child loads the function and its arguments, runs it with stdout and stderr captured, and
reports through a pipe: ("stdout"|"stderr", text), ("yield", item), ("return", value), then
("done",) or ("error", message, details). Everything crossing the pipe is dill-pickled, so any
value the client can unpickle can come back.
"""

import ctypes
import io
import multiprocessing
import os
import signal
import sys
import traceback
import types

import dill

from . import protocol


class _PipeWriter(io.TextIOBase):
    """A text stream whose lines (or flushed fragments) become DATA events."""

    def __init__(self, connection, channel):
        self._connection = connection
        self._channel = channel
        self._buffer = ""

    def writable(self):
        return True

    def write(self, text):
        if not isinstance(text, str):
            raise TypeError("write() argument must be str, not %s" % type(text).__name__)
        self._buffer += text
        if "\n" in self._buffer:
            complete, _, self._buffer = self._buffer.rpartition("\n")
            self._send(complete + "\n")
        return len(text)

    def flush(self):
        if self._buffer:
            pending, self._buffer = self._buffer, ""
            self._send(pending)

    def _send(self, text):
        self._connection.send_bytes(dill.dumps((self._channel, text)))


def _die_with_parent(parent):
    """A call never outlives its server: nobody could report its result, and a forked child
    holds the server's broker connection open, hiding the server's death from the broker."""
    if sys.platform.startswith("linux"):
        PR_SET_PDEATHSIG = 1
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # the server died before the line above took effect
        os._exit(1)


def _run_child(connection, function_bytes, args_bytes, parent):
    _die_with_parent(parent)
    # The parent handles cancellation; a SIGINT meant for the server must not reach calls.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    stdout = _PipeWriter(connection, protocol.STDOUT)
    stderr = _PipeWriter(connection, protocol.STDERR)
    sys.stdout, sys.stderr = stdout, stderr
    try:
        function = dill.loads(function_bytes)
        args = dill.loads(args_bytes)
        result = function(*args)
        if isinstance(result, types.GeneratorType):
            for item in result:
                stdout.flush()
                stderr.flush()
                connection.send_bytes(dill.dumps((protocol.YIELD, item)))
        elif result is not None:
            stdout.flush()
            stderr.flush()
            connection.send_bytes(dill.dumps((protocol.RETURN, result)))
        stdout.flush()
        stderr.flush()
        connection.send_bytes(dill.dumps(("done",)))
    except BaseException as error:  # the user's code may raise anything, SystemExit included
        try:
            stdout.flush()
            stderr.flush()
        except Exception:
            pass
        connection.send_bytes(dill.dumps(("error", "An unexpected error occurred: %s" % error, traceback.format_exc())))
    finally:
        connection.close()
        # Skip the interpreter's exit handlers: they belong to the server, inherited by fork.
        os._exit(0)


class Execution:
    """A running call: the child process and the parent's end of its pipe."""

    def __init__(self, function_bytes, args_bytes, start_method=None):
        context = multiprocessing.get_context(start_method) if start_method else multiprocessing.get_context()
        self.reader, writer = context.Pipe(duplex=False)
        self.process = context.Process(target=_run_child, args=(writer, function_bytes, args_bytes, os.getpid()), daemon=True)
        self.process.start()
        writer.close()

    def fileno(self):
        return self.reader.fileno()

    def read(self):
        """The child's next report, or None once the pipe is closed."""
        try:
            return dill.loads(self.reader.recv_bytes())
        except (EOFError, OSError):
            return None

    def exit_code(self, timeout=5.0):
        self.process.join(timeout)
        return self.process.exitcode

    def kill(self, grace=0.5):
        """SIGTERM, then SIGKILL if the child is still there after `grace` seconds."""
        if self.process.is_alive():
            self.process.terminate()
            self.process.join(grace)
        if self.process.is_alive():
            self.process.kill()
            self.process.join(5)
        self.close()

    def close(self):
        try:
            self.reader.close()
        except OSError:
            pass
