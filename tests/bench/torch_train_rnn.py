#!/usr/bin/env python3
"""PyTorch 1.13 with examples/train_rnn's default recipe: what accuracy the same model reaches
with the same data, optimizer and schedule (docs/recurrent.md quotes it).

    /usr/bin/python3 tests/bench/torch_train_rnn.py --epochs 5 --threads 1 --seed 1

The model is models::sequence_classifier("lstm") as train_rnn builds it by default: each
[1, 28, 28] image is a sequence of 28 rows of 28 pixels, one nn.LSTM(28, 128, batch_first=True)
layer (PyTorch's init, U(-1/sqrt(128), 1/sqrt(128)), which tapegrad's LSTM also uses), the output
of the last step, and nn.Linear(128, 10) initialised as tapegrad's "kaiming" init does for an
output layer: weight ~ N(0, 1 / 128) (kaiming_normal_, fan_in, gain 1), bias 0.
The data: Fashion-MNIST from Debian's dataset-fashion-mnist (the IDX .gz files), pixels x / 255
then (x - 0.2860) / 0.3530 (tapegrad's kFashionMnistMean and kFashionMnistStd); all 60,000
training images (train_rnn holds none out for validation by default), reshuffled every epoch;
the 10,000 test images evaluated in batches of 1000 after every epoch.
The recipe: cross-entropy, Adam lr 1e-3 (betas 0.9, 0.999, eps 1e-8, no weight decay), batch
128 (the last, partial batch kept), gradients clipped to a global L2 norm of 1 every step,
5 epochs.
Random streams differ from tapegrad's (initial weights from torch.manual_seed(seed), data order
from a torch.Generator seeded with seed), so the same seed does not give the same run; compare
accuracies over seeds.
Threads: torch.set_num_threads(--threads). OMP_NUM_THREADS defaults to --threads and
OPENBLAS_NUM_THREADS to 1 (Debian's PyTorch calls OpenBLAS, whose own pool fights OpenMP's;
tests/bench/compare_models.py uses the same settings); set them in the environment to override.
torch (and with it OpenBLAS) is imported only after they are set: OpenBLAS reads its variable
once, when it is loaded, and without it runs a pool of one thread per core whose idle threads
spin.
The epoch time is the training loop's alone (not the evaluation), as train_rnn reports it.
"""
import argparse
import gzip
import os
import sys
import time

ROOT = "/usr/share/datasets/fashion-mnist"
MEAN, STD = 0.2860, 0.3530


def parse():
    ap = argparse.ArgumentParser(description="PyTorch with train_rnn's default recipe")
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--seed", type=int, default=1, help="train_rnn's default seed is 1")
    ap.add_argument("--batch-size", type=int, default=128)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--clip-grad-norm", type=float, default=1.0, help="0: off")
    ap.add_argument("--hidden", type=int, default=128)
    ap.add_argument("--limit-train", type=int, default=0, help="first N training images (0: all)")
    ap.add_argument("--root", default=ROOT)
    return ap.parse_args()


def read_idx(root, name, offset):
    """The bytes of an IDX file (raw or .gz) after its header, as a uint8 tensor."""
    import torch
    path = os.path.join(root, name)
    if os.path.exists(path):
        with open(path, "rb") as f:
            data = f.read()
    else:
        with gzip.open(path + ".gz", "rb") as f:
            data = f.read()
    return torch.frombuffer(bytearray(data), dtype=torch.uint8, offset=offset)


def load(root, split):
    """Images [N, 28, 28] as (x / 255 - MEAN) / STD in float32, and labels int64."""
    import torch
    img = read_idx(root, f"{split}-images-idx3-ubyte", 16)
    lab = read_idx(root, f"{split}-labels-idx1-ubyte", 8)
    x = img.reshape(-1, 28, 28).to(torch.float32) / 255
    return (x - MEAN) * (1 / STD), lab.to(torch.int64)


def main():
    args = parse()
    os.environ.setdefault("OMP_NUM_THREADS", str(args.threads))
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    # Imported after the thread variables are set: OpenMP and OpenBLAS read them when loaded.
    import torch
    import torch.nn as nn
    import torch.nn.functional as F

    torch.set_num_threads(args.threads)
    torch.autograd.set_detect_anomaly(False)

    class SequenceClassifier(nn.Module):
        def __init__(self, hidden):
            super().__init__()
            self.lstm = nn.LSTM(28, hidden, batch_first=True)
            self.fc = nn.Linear(hidden, 10)
            nn.init.kaiming_normal_(self.fc.weight, mode="fan_in", nonlinearity="linear")
            nn.init.zeros_(self.fc.bias)

        def forward(self, x):  # x [N, 28, 28]: 28 steps of 28 pixels
            out, _ = self.lstm(x)
            return self.fc(out[:, -1])

    torch.manual_seed(args.seed)
    model = SequenceClassifier(args.hidden)
    opt = torch.optim.Adam(model.parameters(), lr=args.lr)
    x_train, y_train = load(args.root, "train")
    x_test, y_test = load(args.root, "t10k")
    if args.limit_train > 0:
        x_train, y_train = x_train[:args.limit_train], y_train[:args.limit_train]
    n = x_train.shape[0]
    gen = torch.Generator().manual_seed(args.seed)
    print(f"torch_train_rnn: torch {torch.__version__}, {torch.get_num_threads()} threads "
          f"(OMP_NUM_THREADS={os.environ['OMP_NUM_THREADS']}, "
          f"OPENBLAS_NUM_THREADS={os.environ['OPENBLAS_NUM_THREADS']}), seed {args.seed}; "
          f"LSTM(28, {args.hidden}) + Linear({args.hidden}, 10), "
          f"{sum(p.numel() for p in model.parameters())} parameters; {n} training, "
          f"{x_test.shape[0]} test images; Adam lr {args.lr}, batch {args.batch_size}, "
          f"clip_grad_norm {args.clip_grad_norm}, {args.epochs} epochs", flush=True)

    def evaluate():
        model.eval()
        loss_sum, correct = 0.0, 0
        with torch.no_grad():
            for i in range(0, x_test.shape[0], 1000):
                logits = model(x_test[i:i + 1000])
                yb = y_test[i:i + 1000]
                loss_sum += F.cross_entropy(logits, yb, reduction="sum").item()
                correct += (logits.argmax(1) == yb).sum().item()
        model.train()
        return loss_sum / x_test.shape[0], correct / x_test.shape[0]

    acc = 0.0
    for epoch in range(1, args.epochs + 1):
        perm = torch.randperm(n, generator=gen)
        loss_sum, correct = 0.0, 0
        t0 = time.perf_counter()
        for i in range(0, n, args.batch_size):
            idx = perm[i:i + args.batch_size]
            xb, yb = x_train[idx], y_train[idx]
            opt.zero_grad(set_to_none=True)
            logits = model(xb)
            loss = F.cross_entropy(logits, yb)
            loss.backward()
            if args.clip_grad_norm > 0:
                nn.utils.clip_grad_norm_(model.parameters(), args.clip_grad_norm)
            opt.step()
            loss_sum += loss.item() * yb.shape[0]
            correct += (logits.detach().argmax(1) == yb).sum().item()
        secs = time.perf_counter() - t0
        test_loss, acc = evaluate()
        print(f"epoch {epoch}/{args.epochs}  train loss {loss_sum / n:.4f} acc "
              f"{100 * correct / n:.2f}%  test loss {test_loss:.4f} acc {100 * acc:.2f}%  "
              f"{secs:.1f} s  {n / secs:.0f} img/s", flush=True)
    print(f"final test accuracy: {100 * acc:.2f}%")
    return 0


if __name__ == "__main__":
    sys.exit(main())
