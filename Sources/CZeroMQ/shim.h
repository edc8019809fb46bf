// libzmq from the system (Debian: libzmq3-dev); nothing is vendored.
#include <zmq.h>
