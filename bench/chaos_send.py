#!/usr/bin/env python3
"""The load of bench/chaos.sh: SESSIONS threads, each sending one message per connection,
numbered 1, 2, 3 ..., until the file STOP exists; then every message not yet accepted is
retried until it is, so that in the end each number got exactly one 250 at the final dot.

usage: chaos_send.py HOST PORT SESSIONS SIZE STOP LOG

Each message carries "Message-Id: <chaos-N@chaos.test>". LOG gets one line per event, with
the time (seconds since the epoch):
  T accepted N          the final dot got a 250
  T noreply N           the connection failed after the final dot, before the reply: the
                        message may be stored; it is sent again (a duplicate the client causes)
  T afterdot CODE N     a 4xx or 5xx to the final dot: sent again (a commit whose outcome the
                        server could not know would be a duplicate the client causes too)
  T refused N WHAT      anything before the final dot failed: sent again
Prints "sent N accepted A attempts T" at the end.
"""
import os
import socket
import sys
import threading
import time

host, port, sessions, size, stop, log_path = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5], sys.argv[6]
lock = threading.Lock()
log = open(log_path, "a", buffering=1)
state = {"next": 1, "accepted": 0, "attempts": 0, "retry": []}
body_line = b"x" * 76 + b"\r\n"


def record(line):
    with lock:
        log.write(f"{time.time():.3f} {line}\n")


def take():
    with lock:
        if state["retry"]:
            return state["retry"].pop(0)
        if os.path.exists(stop):
            return None
        n = state["next"]
        state["next"] += 1
        return n


def retry(n):
    with lock:
        state["retry"].append(n)


class Reply(Exception):
    pass


def reply(f):
    while True:
        line = f.readline(2048)
        if not line:
            raise ConnectionError("connection closed")
        if line[3:4] != b"-":
            return int(line[:3]), line


def expect(f, code, what):
    got, line = reply(f)
    if got != code:
        raise Reply(f"{what}: {line.strip().decode('utf-8', 'replace')}")


def send(n):
    with lock:
        state["attempts"] += 1
    message = (f"From: <chaos@chaos.test>\r\nTo: <rcpt@chaos.test>\r\nSubject: chaos {n}\r\n"
               f"Message-Id: <chaos-{n}@chaos.test>\r\n\r\n").encode() + body_line * max(1, size // 78) + b".\r\n"
    try:
        s = socket.create_connection((host, port), timeout=30)
    except OSError as e:
        record(f"refused {n} connect:{e.__class__.__name__}")
        time.sleep(0.2)
        return False
    dot_sent = False
    try:
        s.settimeout(30)
        f = s.makefile("rb")
        expect(f, 220, "greeting")
        s.sendall(b"EHLO chaos.test\r\n")
        expect(f, 250, "EHLO")
        s.sendall(b"MAIL FROM:<chaos@chaos.test>\r\n")
        expect(f, 250, "MAIL")
        s.sendall(b"RCPT TO:<rcpt@chaos.test>\r\n")
        expect(f, 250, "RCPT")
        s.sendall(b"DATA\r\n")
        expect(f, 354, "DATA")
        s.sendall(message)
        dot_sent = True
        code, line = reply(f)
        if code == 250:
            record(f"accepted {n}")
            try:
                s.sendall(b"QUIT\r\n")
            except OSError:
                pass
            return True
        record(f"afterdot {code} {n}")
        return False
    except (OSError, ConnectionError, Reply) as e:
        what = str(e).replace(" ", "_")[:80] if isinstance(e, Reply) else e.__class__.__name__
        record(f"noreply {n}" if dot_sent else f"refused {n} {what}")
        time.sleep(0.2)
        return False
    finally:
        s.close()


def worker():
    while True:
        n = take()
        if n is None:
            with lock:
                if not state["retry"]:
                    return
            time.sleep(0.2)
            continue
        if send(n):
            with lock:
                state["accepted"] += 1
        else:
            retry(n)


threads = [threading.Thread(target=worker) for _ in range(sessions)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print(f"sent {state['next'] - 1} accepted {state['accepted']} attempts {state['attempts']}")
