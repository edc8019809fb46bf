/*
 * Load generator and reference peers for the broker benchmark (scripts/bench/broker.py).
 *
 *   zmq-bench forward <client-bind> <server-bind> <token> <sub> [<curve-secret-key>]
 *       The reference: a minimal ROUTER->ROUTER forwarder on libzmq, routing as the broker
 *       does (token -> server identity, token stripped, replies back by client id), moving
 *       frames without copying them. No auth, no metrics, no checks beyond the token compare.
 *       With a key (Z85), the server side speaks CURVE as the broker's does.
 *   zmq-bench echo-server <server-endpoint> <identity> [<public> <secret> <server-public>]
 *       A rexec server stand-in: DEALER with the user's identity (and a CURVE key pair),
 *       announces itself with a heartbeat, answers each call with its function frame (which
 *       carries the client's send timestamp).
 *   zmq-bench echo-router <bind>
 *       Direct baseline: a ROUTER answering clients itself, no forwarding hop.
 *   zmq-bench throughput <client-endpoint> <token> <connections> <window> <seconds>
 *       Closed loop: <connections> DEALERs each keep <window> calls in flight; prints
 *       "round_trips_per_second N".
 *   zmq-bench latency <client-endpoint> <token> <rate> <seconds>
 *       Open loop: one call every 1/<rate> s from one DEALER; prints RTT percentiles in us.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

static void die(const char *what) {
    fprintf(stderr, "zmq-bench: %s: %s\n", what, zmq_strerror(zmq_errno()));
    exit(1);
}

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Receives one multipart message into msgs[]; returns the frame count. */
static int recv_parts(void *socket, zmq_msg_t *msgs, int max) {
    int count = 0;
    for (;;) {
        if (count == max) { fprintf(stderr, "zmq-bench: too many frames\n"); exit(1); }
        zmq_msg_init(&msgs[count]);
        if (zmq_msg_recv(&msgs[count], socket, 0) < 0) die("recv");
        int more = zmq_msg_more(&msgs[count]);
        count++;
        if (!more) return count;
    }
}

/* Sends frames [from, count) and releases them (zmq_msg_send takes ownership). */
static int send_parts(void *socket, zmq_msg_t *msgs, int from, int count, int flags) {
    for (int i = from; i < count; i++) {
        if (zmq_msg_send(&msgs[i], socket, (i < count - 1 ? ZMQ_SNDMORE : 0) | flags) < 0) {
            for (int j = i; j < count; j++) zmq_msg_close(&msgs[j]);
            return -1;
        }
    }
    return 0;
}

static void send_bytes(void *socket, const void *data, size_t size, int more) {
    if (zmq_send(socket, data, size, more ? ZMQ_SNDMORE : 0) < 0) die("send");
}

static _Noreturn void forward(const char *front_bind, const char *back_bind, const char *token, const char *sub, const char *curve_secret) {
    void *context = zmq_ctx_new();
    void *front = zmq_socket(context, ZMQ_ROUTER);
    void *back = zmq_socket(context, ZMQ_ROUTER);
    int on = 1, hwm = 10000;
    if (curve_secret) {
        /* CURVE on the server side, as the broker's: the same handshake and encryption, no
           ZAP handler (libzmq then admits any key), routing by the stated identity. */
        if (zmq_setsockopt(back, ZMQ_CURVE_SERVER, &on, sizeof on) || zmq_setsockopt(back, ZMQ_CURVE_SECRETKEY, curve_secret, 40))
            die("curve server");
    }
    zmq_setsockopt(back, ZMQ_ROUTER_MANDATORY, &on, sizeof on);
    zmq_setsockopt(front, ZMQ_SNDHWM, &hwm, sizeof hwm);
    if (zmq_bind(front, front_bind) || zmq_bind(back, back_bind)) die("bind");
    char endpoint[256]; size_t size = sizeof endpoint;
    zmq_getsockopt(front, ZMQ_LAST_ENDPOINT, endpoint, &size);
    printf("client %s\n", endpoint);
    size = sizeof endpoint;
    zmq_getsockopt(back, ZMQ_LAST_ENDPOINT, endpoint, &size);
    printf("server %s\n", endpoint);
    fflush(stdout);
    size_t token_length = strlen(token), sub_length = strlen(sub);
    zmq_pollitem_t items[] = {{front, 0, ZMQ_POLLIN, 0}, {back, 0, ZMQ_POLLIN, 0}};
    zmq_msg_t msgs[16];
    for (;;) {
        if (zmq_poll(items, 2, -1) < 0) die("poll");
        if (items[0].revents & ZMQ_POLLIN) {
            /* [client id, "", token, fn, args] -> [sub, client id, "", fn, args] */
            int n = recv_parts(front, msgs, 16);
            if (n >= 5 && zmq_msg_size(&msgs[1]) == 0 && zmq_msg_size(&msgs[2]) == token_length
                && memcmp(zmq_msg_data(&msgs[2]), token, token_length) == 0) {
                zmq_msg_t identity;
                zmq_msg_init_size(&identity, sub_length);
                memcpy(zmq_msg_data(&identity), sub, sub_length);
                zmq_msg_send(&identity, back, ZMQ_SNDMORE);
                zmq_msg_send(&msgs[0], back, ZMQ_SNDMORE);
                zmq_msg_send(&msgs[1], back, ZMQ_SNDMORE);
                zmq_msg_close(&msgs[2]);
                send_parts(back, msgs, 3, n, 0);
            } else {
                for (int i = 0; i < n; i++) zmq_msg_close(&msgs[i]);
            }
        }
        if (items[1].revents & ZMQ_POLLIN) {
            /* [sub, client id, "", payload] -> [client id, "", payload] */
            int n = recv_parts(back, msgs, 16);
            zmq_msg_close(&msgs[0]);
            send_parts(front, msgs, 1, n, ZMQ_DONTWAIT);
        }
    }
}

static _Noreturn void echo_server(const char *endpoint, const char *identity, char **curve) {
    void *context = zmq_ctx_new();
    void *socket = zmq_socket(context, ZMQ_DEALER);
    zmq_setsockopt(socket, ZMQ_ROUTING_ID, identity, strlen(identity));
    if (curve) {
        /* curve: public key, secret key, the server's (broker's) public key; Z85. */
        if (zmq_setsockopt(socket, ZMQ_CURVE_PUBLICKEY, curve[0], 40) || zmq_setsockopt(socket, ZMQ_CURVE_SECRETKEY, curve[1], 40)
            || zmq_setsockopt(socket, ZMQ_CURVE_SERVERKEY, curve[2], 40))
            die("curve client");
    }
    if (zmq_connect(socket, endpoint)) die("connect");
    /* Announce ourselves as our rexec server does, so the broker knows us at once. */
    send_bytes(socket, "", 0, 1);
    send_bytes(socket, "__REXEC_HEARTBEAT__", 19, 0);
    zmq_msg_t msgs[16];
    for (;;) {
        /* [client id, "", fn, args] -> [client id, "", fn] */
        int n = recv_parts(socket, msgs, 16);
        if (n < 4) { for (int i = 0; i < n; i++) zmq_msg_close(&msgs[i]); continue; }
        for (int i = 3; i < n; i++) zmq_msg_close(&msgs[i]);
        send_parts(socket, msgs, 0, 3, 0);
    }
}

static _Noreturn void echo_router(const char *bind) {
    void *context = zmq_ctx_new();
    void *socket = zmq_socket(context, ZMQ_ROUTER);
    if (zmq_bind(socket, bind)) die("bind");
    char endpoint[256]; size_t size = sizeof endpoint;
    zmq_getsockopt(socket, ZMQ_LAST_ENDPOINT, endpoint, &size);
    printf("client %s\n", endpoint);
    fflush(stdout);
    zmq_msg_t msgs[16];
    for (;;) {
        /* [client id, "", token, fn, args] -> [client id, "", fn] */
        int n = recv_parts(socket, msgs, 16);
        if (n < 5) { for (int i = 0; i < n; i++) zmq_msg_close(&msgs[i]); continue; }
        zmq_msg_close(&msgs[2]);
        for (int i = 4; i < n; i++) zmq_msg_close(&msgs[i]);
        zmq_msg_send(&msgs[0], socket, ZMQ_SNDMORE);
        zmq_msg_send(&msgs[1], socket, ZMQ_SNDMORE);
        zmq_msg_send(&msgs[3], socket, 0);
    }
}

/* A call: ["", token, fn = send time (8 bytes) + padding to 227 bytes, args = 18 bytes] */
static void send_call(void *socket, const char *token, uint64_t stamp) {
    unsigned char fn[227] = {0}, args[18] = {0};
    memcpy(fn, &stamp, sizeof stamp);
    send_bytes(socket, "", 0, 1);
    send_bytes(socket, token, strlen(token), 1);
    send_bytes(socket, fn, sizeof fn, 1);
    send_bytes(socket, args, sizeof args, 0);
}

/* Receives a reply ["", fn]; returns the timestamp it carries, 0 for anything else. */
static uint64_t recv_reply(void *socket) {
    zmq_msg_t msgs[8];
    int n = recv_parts(socket, msgs, 8);
    uint64_t stamp = 0;
    if (n == 2 && zmq_msg_size(&msgs[1]) >= sizeof stamp) memcpy(&stamp, zmq_msg_data(&msgs[1]), sizeof stamp);
    else if (n == 2) { fprintf(stderr, "zmq-bench: unexpected reply of %zu bytes (a broker error text?)\n", zmq_msg_size(&msgs[1])); exit(1); }
    for (int i = 0; i < n; i++) zmq_msg_close(&msgs[i]);
    return stamp;
}

static void *connect_dealer(void *context, const char *endpoint) {
    void *socket = zmq_socket(context, ZMQ_DEALER);
    int linger = 0;
    zmq_setsockopt(socket, ZMQ_LINGER, &linger, sizeof linger);
    if (zmq_connect(socket, endpoint)) die("connect");
    return socket;
}

static _Noreturn void throughput(const char *endpoint, const char *token, int connections, int window, double seconds) {
    void *context = zmq_ctx_new();
    void **sockets = calloc(connections, sizeof *sockets);
    zmq_pollitem_t *items = calloc(connections, sizeof *items);
    for (int i = 0; i < connections; i++) {
        sockets[i] = connect_dealer(context, endpoint);
        items[i] = (zmq_pollitem_t){sockets[i], 0, ZMQ_POLLIN, 0};
        /* Warm-up: one round trip each, which also warms the broker's token cache. */
        send_call(sockets[i], token, now_ns());
        recv_reply(sockets[i]);
        for (int w = 0; w < window; w++) send_call(sockets[i], token, now_ns());
    }
    uint64_t start = now_ns(), end = start + (uint64_t)(seconds * 1e9), done = 0;
    while (now_ns() < end) {
        if (zmq_poll(items, connections, 100) < 0) die("poll");
        for (int i = 0; i < connections; i++) {
            if (!(items[i].revents & ZMQ_POLLIN)) continue;
            recv_reply(sockets[i]);
            done++;
            send_call(sockets[i], token, now_ns());
        }
    }
    double elapsed = (now_ns() - start) / 1e9;
    printf("round_trips_per_second %.0f\n", done / elapsed);
    fflush(stdout);
    _exit(0); /* in-flight calls are abandoned on purpose */
}

static int compare(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static _Noreturn void latency(const char *endpoint, const char *token, double rate, double seconds) {
    void *context = zmq_ctx_new();
    void *socket = connect_dealer(context, endpoint);
    send_call(socket, token, now_ns());
    recv_reply(socket);
    size_t total = (size_t)(rate * seconds), received = 0, sent = 0;
    uint64_t *samples = calloc(total, sizeof *samples);
    uint64_t interval = (uint64_t)(1e9 / rate), start = now_ns();
    zmq_pollitem_t item = {socket, 0, ZMQ_POLLIN, 0};
    uint64_t deadline = start + (uint64_t)(seconds * 1e9) + 5000000000ull;
    while (received < total && now_ns() < deadline) {
        uint64_t now = now_ns(), due = start + sent * interval;
        if (sent < total && now >= due) {
            /* Open loop: the schedule never waits for replies, so a slow hop cannot hide its
               stalls by slowing the sender down; the stamp is the real send time. */
            send_call(socket, token, now_ns());
            sent++;
            continue;
        }
        if (zmq_poll(&item, 1, 0) < 0) die("poll");
        if (item.revents & ZMQ_POLLIN) {
            uint64_t stamp = recv_reply(socket);
            samples[received++] = now_ns() - stamp;
            continue;
        }
        /* Nothing due and nothing to read: nap briefly instead of spinning a core away from
           the peers being measured. */
        uint64_t nap = sent < total && due - now < 50000 ? due - now : 50000;
        struct timespec pause = {0, (long)nap};
        nanosleep(&pause, NULL);
    }
    if (received < total) { fprintf(stderr, "zmq-bench: %zu of %zu replies\n", received, total); exit(1); }
    qsort(samples, received, sizeof *samples, compare);
#define PCT(p) (samples[(size_t)((received - 1) * (p))] / 1000.0)
    printf("latency_us p50 %.1f p90 %.1f p99 %.1f p999 %.1f max %.1f achieved_rate %.0f\n",
           PCT(0.50), PCT(0.90), PCT(0.99), PCT(0.999), samples[received - 1] / 1000.0,
           received / ((now_ns() - start) / 1e9));
    fflush(stdout);
    _exit(0);
}

int main(int argc, char **argv) {
    if (argc >= 6 && !strcmp(argv[1], "forward")) forward(argv[2], argv[3], argv[4], argv[5], argc >= 7 ? argv[6] : NULL);
    if (argc >= 4 && !strcmp(argv[1], "echo-server")) echo_server(argv[2], argv[3], argc >= 7 ? argv + 4 : NULL);
    if (argc >= 3 && !strcmp(argv[1], "echo-router")) echo_router(argv[2]);
    if (argc >= 7 && !strcmp(argv[1], "throughput")) throughput(argv[2], argv[3], atoi(argv[4]), atoi(argv[5]), atof(argv[6]));
    if (argc >= 6 && !strcmp(argv[1], "latency")) latency(argv[2], argv[3], atof(argv[4]), atof(argv[5]));
    fprintf(stderr, "usage: see the comment at the top of zmq-bench.c\n");
    return 2;
}
