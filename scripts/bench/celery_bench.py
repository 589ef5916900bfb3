"""Celery side of scripts/bench-queue: enqueue N no-op tasks, start `celery worker` with two
prefork processes and acks_late, and time the drain from the first dequeue to the last ack,
polling Redis the way the Rust side polls its own queue."""
import os
import subprocess
import sys
import time

import redis

url, n = sys.argv[1], int(sys.argv[2])
here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, here)
os.environ["BENCH_BROKER"] = url
from celery_tasks import noop  # noqa: E402

r = redis.Redis.from_url(url)
r.flushdb()
t = time.perf_counter()
for _ in range(n):
    noop.delay()
enqueue_s = time.perf_counter() - t
print(f"celery: enqueued {n} tasks in {enqueue_s:.3f}s ({n / enqueue_s:.0f} tasks/s)", flush=True)

worker = subprocess.Popen(
    [sys.executable, "-m", "celery", "-A", "celery_tasks", "worker", "-P", "prefork", "-c", "2",
     "--loglevel=WARNING", "--without-gossip", "--without-mingle", "--without-heartbeat"],
    cwd=here, env=os.environ, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
)
try:
    deadline = time.time() + 600
    while r.llen("celery") >= n:
        if time.time() > deadline:
            raise SystemExit("celery: nothing dequeued in time")
        time.sleep(0.0005)
    first = time.perf_counter()
    while r.llen("celery") > 0 or r.hlen("unacked") > 0:
        if time.time() > deadline:
            raise SystemExit("celery: not drained in time")
        time.sleep(0.002)
    drain_s = time.perf_counter() - first
    print(f"celery: drained {n} tasks in {drain_s:.3f}s ({n / drain_s:.0f} jobs/s)", flush=True)
finally:
    worker.terminate()
    worker.wait(timeout=30)
