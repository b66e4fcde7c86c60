#!/usr/bin/env python3
"""An open-loop SMTP load: RATE messages a second for SECONDS, each on its own connection,
each started on schedule whether or not the earlier ones have finished (smtp-source is a
closed loop: it sends the next message only when one ends, so it cannot hold a rate).

usage: paced_send.py HOST PORT RATE SECONDS SIZE
Prints one line: "sent N accepted A failed F late L max-in-flight M"; late counts messages
started more than 50 ms after their slot (the sender itself falling behind). Exits 1 on any
failure.
"""
import asyncio
import sys
import time


async def reply(reader):
    while True:
        line = await reader.readline()
        if not line:
            raise ConnectionError("connection closed")
        if line[3:4] != b"-":
            return line


async def send(host, port, number, body, stats):
    stats["in_flight"] += 1
    stats["max_in_flight"] = max(stats["max_in_flight"], stats["in_flight"])
    try:
        reader, writer = await asyncio.open_connection(host, port)
        try:
            steps = [None, b"EHLO paced.bench.test\r\n", b"MAIL FROM:<sender@bench.test>\r\n",
                     b"RCPT TO:<rcpt@bench.test>\r\n", b"DATA\r\n"]
            for step in steps:
                if step is not None:
                    writer.write(step)
                    await writer.drain()
                code = (await reply(reader))[:3]
                if code not in (b"220", b"250", b"354"):
                    raise ValueError(f"message {number}: {code!r}")
            writer.write(b"Message-Id: <paced-%d-%d@bench.test>\r\nSubject: paced %d\r\n\r\n" % (stats["run"], number, number) + body + b".\r\n")
            await writer.drain()
            if (await reply(reader))[:3] != b"250":
                raise ValueError(f"message {number}: not accepted")
            stats["accepted"] += 1
            writer.write(b"QUIT\r\n")
            await writer.drain()
            await reply(reader)
        finally:
            writer.close()
    except Exception as failure:  # noqa: BLE001 - every failure is counted and shown
        stats["failed"] += 1
        if stats["failed"] <= 3:
            print(f"failure: {failure}", file=sys.stderr)
    finally:
        stats["in_flight"] -= 1


async def main(host, port, rate, seconds, size):
    line = b"x" * 76 + b"\r\n"
    body = line * max(1, size // len(line))
    stats = {"accepted": 0, "failed": 0, "late": 0, "in_flight": 0, "max_in_flight": 0, "run": int(time.time())}
    tasks = []
    start = time.monotonic()
    total = int(rate * seconds)
    for number in range(total):
        slot = start + number / rate
        delay = slot - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        elif delay < -0.05:
            stats["late"] += 1
        tasks.append(asyncio.create_task(send(host, port, number, body, stats)))
    await asyncio.gather(*tasks)
    print(f"sent {total} accepted {stats['accepted']} failed {stats['failed']} late {stats['late']} "
          f"max-in-flight {stats['max_in_flight']}")
    return 0 if stats["failed"] == 0 else 1


if __name__ == "__main__":
    h, p, r, s, z = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5])
    sys.exit(asyncio.run(main(h, p, r, s, z)))
