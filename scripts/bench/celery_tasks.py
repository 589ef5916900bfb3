"""The Celery app for the benchmark: at-least-once like ours (acks_late, reject on worker
loss), no result backend, a no-op task."""
import os

from celery import Celery

app = Celery("celery_tasks", broker=os.environ["BENCH_BROKER"])
app.conf.task_acks_late = True
app.conf.task_reject_on_worker_lost = True
app.conf.task_ignore_result = True


@app.task
def noop():
    pass
