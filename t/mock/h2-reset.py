#!/usr/bin/python3
# h2-reset.py - one HTTP/2 client that gives up on its requests.
#
# usage: h2-reset.py --host H --port P --path U --streams N [--after-ms M]
#
# Opens one h2c connection (prior knowledge) to H:P and, one after
# another, sends N GET U streams; each is reset with RST_STREAM (CANCEL)
# M ms after it was opened, unless its response came first.  Prints
# "streams=N\nreset=R\nanswered=A\nstatus_<code>=K..." and exits 0, or
# says why it could not and exits 1.  Used by t/mock/okta-mock.pl's
# /_h2reset; Debian: python3-h2.

import argparse
import select
import socket
import sys
import time

import h2.config
import h2.connection
import h2.errors
import h2.events


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--host', default='127.0.0.1')
    ap.add_argument('--port', type=int, required=True)
    ap.add_argument('--path', required=True)
    ap.add_argument('--streams', type=int, required=True)
    ap.add_argument('--after-ms', type=int, default=50)
    a = ap.parse_args()

    sock = socket.create_connection((a.host, a.port), timeout=10)
    conn = h2.connection.H2Connection(
        config=h2.config.H2Configuration(client_side=True))
    conn.initiate_connection()
    sock.sendall(conn.data_to_send())

    reset = answered = 0
    statuses = {}

    for _ in range(a.streams):
        sid = conn.get_next_available_stream_id()
        conn.send_headers(sid, [(':method', 'GET'), (':path', a.path),
                                (':scheme', 'http'),
                                (':authority', 'localhost')],
                          end_stream=True)
        sock.sendall(conn.data_to_send())

        deadline = time.monotonic() + a.after_ms / 1000.0
        done = False

        while not done:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            r, _, _ = select.select([sock], [], [], left)
            if not r:
                continue
            data = sock.recv(65536)
            if not data:
                print('the server closed the connection')
                return 1
            for ev in conn.receive_data(data):
                if isinstance(ev, h2.events.ResponseReceived) \
                        and ev.stream_id == sid:
                    status = dict(ev.headers).get(b':status', b'?')
                    statuses[status.decode()] = \
                        statuses.get(status.decode(), 0) + 1
                elif isinstance(ev, h2.events.StreamEnded) \
                        and ev.stream_id == sid:
                    answered += 1
                    done = True
                elif isinstance(ev, h2.events.ConnectionTerminated):
                    print('the server ended the connection (GOAWAY)')
                    return 1
            sock.sendall(conn.data_to_send())

        if not done:
            conn.reset_stream(sid, error_code=h2.errors.ErrorCodes.CANCEL)
            sock.sendall(conn.data_to_send())
            reset += 1

    conn.close_connection()
    sock.sendall(conn.data_to_send())
    sock.close()

    print('streams=%d\nreset=%d\nanswered=%d' % (a.streams, reset, answered))
    for code in sorted(statuses):
        print('status_%s=%d' % (code, statuses[code]))
    return 0


if __name__ == '__main__':
    sys.exit(main())
