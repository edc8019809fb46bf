"""Frames and stream events exchanged with the broker and the client (docs/specs/rexec.md §2.3, §3.4).

Stream events are dill-pickled dicts; broker and server error texts are pickled strings.
"""

import dill

HEARTBEAT = b"__REXEC_HEARTBEAT__"
# Sent once when the server stops (our broker's extension): the broker then answers "Server not
# ready" at once instead of routing calls into a connection that is closing.
GOODBYE = b"__REXEC_GOODBYE__"
CANCEL = b"__REXEC_CANCEL__"
KEYBOARD_INTERRUPT = "keyboard_interrupt"

START = "START"
DATA = "DATA"
END = "END"
ERROR = "ERROR"

STDOUT = "stdout"
STDERR = "stderr"
YIELD = "yield"
RETURN = "return"

INVALID_FRAMING = "Invalid request framing."


def split_envelope(frames):
    """Returns (envelope, body) split at the first empty frame, or (None, frames) without one."""
    for index, frame in enumerate(frames):
        if frame == b"":
            return frames[:index], frames[index + 1:]
    return None, frames


class EventSequence:
    """Numbers the events of one call from 1 and pickles them."""

    def __init__(self):
        self.next = 1

    def event(self, kind, **fields):
        event = {"type": kind, "sequence": self.next}
        event.update(fields)
        self.next += 1
        return dill.dumps(event)


def text(message):
    """A plain string reply: the client prints it and the call returns None."""
    return dill.dumps(message)
