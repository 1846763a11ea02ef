# Writes tests/trace/sample_trace.json: a hand-made trace in the shape planned for
# `train_cnn --profile` (made-up timings): 2 training steps of a tiny CNN on a main thread and one
# OpenMP worker; forward op slices and backward slices (cat "op", args.pass), each backward slice
# linked to its forward slice by an s/f flow pair with the same cat, name and id whose ts equal the
# two slices' ts (what DevTools needs to bind them), and two counters.
#   usage: python3 tests/trace/make_sample_trace.py  (from anywhere)
import json
import os
ev = []
P = 1
def M(name, tid, val): ev.append({"ph": "M", "name": name, "pid": P, "tid": tid, "args": {"name": val}})
def X(name, cat, ts, dur, tid, **args): ev.append({"ph": "X", "name": name, "cat": cat, "ts": ts, "dur": dur, "pid": P, "tid": tid, "args": args})
def C(name, ts, **vals): ev.append({"ph": "C", "name": name, "ts": ts, "pid": P, "tid": 1, "args": vals})
M("process_name", 1, "train_cnn")
M("thread_name", 1, "main")
M("thread_name", 2, "omp worker 1")
ev.append({"ph": "M", "name": "thread_sort_index", "pid": P, "tid": 1, "args": {"sort_index": 0}})
ev.append({"ph": "M", "name": "thread_sort_index", "pid": P, "tid": 2, "args": {"sort_index": 1}})
ops = [("conv2d", 1200, "[32,1,28,28]->[32,8,28,28]", True), ("relu", 200, "[32,8,28,28]", False),
       ("max_pool2d", 300, "[32,8,28,28]->[32,8,14,14]", False), ("flatten", 40, "[32,8,14,14]->[32,1568]", False),
       ("linear", 600, "[32,1568]->[32,10]", True), ("cross_entropy", 150, "[32,10]->[]", False)]
bwd_factor = {"conv2d": 2.2, "relu": 1.0, "max_pool2d": 1.3, "flatten": 0.5, "linear": 2.0, "cross_entropy": 0.8}
flow_id = 0
t = 1000.0   # us since profiler start (DevTools ignores ts == 0 for its time bounds)
mem = 2_000_000
for step in range(2):
    step_start = t
    C("memory", t, allocated_bytes=mem)
    C("tape", t, entries=0)
    t += 5
    fwd_start = t
    recorded = []
    for i, (name, dur, shape, gemm) in enumerate(ops):
        X(name, "op", t, dur, 1, **{"shape": shape, "pass": "forward"})
        flow_id += 1
        ev.append({"ph": "s", "name": "autograd", "cat": "op", "id": flow_id, "ts": t, "pid": P, "tid": 1})
        recorded.append((name, flow_id))
        if gemm:   # the kernel is split over the two threads
            half = dur * 0.8 / 2
            X("im2col" if name == "conv2d" else "gemm", "kernel", t + dur * 0.1, half, 1)
            X("gemm", "kernel", t + dur * 0.1 + half, half, 1)
            X("gemm", "kernel", t + dur * 0.1, dur * 0.8, 2)
        mem += int(dur * 100)
        C("memory", t + dur, allocated_bytes=mem)
        C("tape", t + dur, entries=i + 1)
        t += dur + 2
    X("forward", "phase", fwd_start, t - fwd_start, 1, step=step)
    t += 5
    bwd_start = t
    for k, (name, fid) in enumerate(reversed(recorded)):
        dur = round(dict((o[0], o[1]) for o in ops)[name] * bwd_factor[name], 1)
        X(name + "_backward", "op", t, dur, 1, **{"pass": "backward"})
        ev.append({"ph": "f", "name": "autograd", "cat": "op", "id": fid, "ts": t, "pid": P, "tid": 1, "bp": "e"})
        if name in ("conv2d", "linear"):
            X("gemm", "kernel", t + dur * 0.1, dur * 0.8, 2)
        mem -= int(dict((o[0], o[1]) for o in ops)[name] * 80)
        C("memory", t + dur, allocated_bytes=mem)
        C("tape", t + dur, entries=len(recorded) - k - 1)
        t += dur + 2
    X("backward", "phase", bwd_start, t - bwd_start, 1, step=step)
    t += 5
    X("adam.step", "optim", t, 400, 1, params=4)
    X("adam.update", "kernel", t + 20, 360, 2)
    t += 420
    X("step", "train", step_start, t - step_start, 1, step=step, loss=round(2.30 - 0.4 * step, 3))
    t += 30
json.dump({"traceEvents": ev, "displayTimeUnit": "ms",
           "otherData": {"producer": "hand-written sample for tests/trace (not real timings)"}},
          open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "sample_trace.json"), "w"), indent=None, separators=(",", ":"))
print(len(ev), "events")
