"""Train an MLP on scikit-learn's handwritten digits (1797 8x8 images, bundled
with scikit-learn: no download) with rusttorch, the way a torch script does it.

    python3 examples/train_digits.py                  # 30 epochs, plot in digits_training.png
    python3 examples/train_digits.py --compare-torch  # the same run on torch, same initial weights
    python3 examples/train_digits.py --quick          # a few epochs (CI)

The training code below is written once against the torch API and run with
`lib` = rusttorch (and, with --compare-torch, `lib` = torch): changing the
import is all it takes.
"""
from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np


def load_digits_split(seed: int):
    """Images scaled to [0, 1], a fixed 80/20 split (the same for both libraries)."""
    from sklearn.datasets import load_digits

    d = load_digits()
    x = (d.data / 16.0).astype(np.float32)
    y = d.target.astype(np.int64)
    order = np.random.default_rng(seed).permutation(len(x))
    n_test = len(x) // 5
    test, train = order[:n_test], order[n_test:]
    return x[train], y[train], x[test], y[test]


def build_model(lib, hidden: int):
    nn = lib.nn
    return nn.Sequential(
        nn.Linear(64, hidden), nn.ReLU(),
        nn.Linear(hidden, hidden), nn.ReLU(),
        nn.Dropout(0.1),
        nn.Linear(hidden, 10),
    )


def train(lib, model, data, args, label: str):
    """The torch-style training loop: DataLoader, cross_entropy, backward, optimizer step."""
    x_tr, y_tr, x_te, y_te = data
    ds = lib.utils.data.TensorDataset(lib.from_numpy(x_tr), lib.from_numpy(y_tr))
    gen = lib.Generator().manual_seed(args.seed)
    loader = lib.utils.data.DataLoader(ds, batch_size=args.batch_size, shuffle=True, generator=gen)
    if args.optimizer == "adam":
        opt = lib.optim.Adam(model.parameters(), lr=args.lr or 2e-3)
    else:
        opt = lib.optim.SGD(model.parameters(), lr=args.lr or 0.05, momentum=0.9)
    sched = lib.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=args.epochs)
    x_test, y_test = lib.from_numpy(x_te), lib.from_numpy(y_te)
    history = {"loss": [], "accuracy": [], "epoch_s": []}
    bar = _progress(args.epochs, label)
    for epoch in range(args.epochs):
        model.train()
        t0 = time.perf_counter()
        total, batches = 0.0, 0
        for xb, yb in loader:
            opt.zero_grad()
            loss = lib.nn.functional.cross_entropy(model(xb), yb)
            loss.backward()
            opt.step()
            total += loss.item()
            batches += 1
        sched.step()
        history["epoch_s"].append(time.perf_counter() - t0)
        model.eval()
        with lib.no_grad():
            acc = (model(x_test).argmax(1) == y_test).float().mean().item()
        history["loss"].append(total / batches)
        history["accuracy"].append(acc)
        bar.update(1)
        bar.set_postfix(loss=f"{total / batches:.4f}", acc=f"{acc:.3f}")
    bar.close()
    return history


def _progress(total: int, label: str):
    try:
        from tqdm import tqdm

        return tqdm(total=total, desc=f"{label} epochs", unit="epoch", file=sys.stderr)
    except ImportError:  # the example runs without tqdm too, just without the bar
        class _Quiet:
            def update(self, n):
                pass

            def set_postfix(self, **kw):
                pass

            def close(self):
                pass

        return _Quiet()


def copy_into_torch(rt_model, torch_model, torch):
    """torch's model gets rusttorch's initial weights (through NumPy)."""
    sd = {k: torch.from_numpy(np.array(v.numpy(), copy=True)) for k, v in rt_model.state_dict().items()}
    torch_model.load_state_dict(sd)


def plot(histories, path: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(9, 3.4))
    for name, h in histories.items():
        ep = range(1, len(h["loss"]) + 1)
        ax1.plot(ep, h["loss"], label=name)
        ax2.plot(ep, h["accuracy"], label=name)
    ax1.set(xlabel="epoch", ylabel="training loss", yscale="log", title="cross-entropy")
    ax2.set(xlabel="epoch", ylabel="test accuracy", title="digits test set", ylim=(0.8, 1.0))
    for ax in (ax1, ax2):
        ax.grid(alpha=0.3)
        ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--epochs", type=int, default=30)
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--hidden", type=int, default=128)
    ap.add_argument("--optimizer", choices=["sgd", "adam"], default="sgd")
    ap.add_argument("--lr", type=float, default=None)
    ap.add_argument("--threads", type=int, default=1, help="threads for both libraries (default 1)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--plot", default="digits_training.png", help="loss/accuracy PNG ('' for none)")
    ap.add_argument("--compare-torch", action="store_true", help="also train torch from the same initial weights")
    ap.add_argument("--quick", action="store_true", help="8 epochs (the CI run)")
    ap.add_argument("--min-accuracy", type=float, default=None, help="exit 1 below this test accuracy")
    args = ap.parse_args()
    if args.quick:
        args.epochs = min(args.epochs, 8)

    import rusttorch

    rusttorch.set_num_threads(args.threads)
    rusttorch.manual_seed(args.seed)
    data = load_digits_split(args.seed)
    model = build_model(rusttorch, args.hidden)
    init_state = {k: v.clone() for k, v in model.state_dict().items()}
    histories = {"rusttorch": train(rusttorch, model, data, args, "rusttorch")}

    if args.compare_torch:
        import torch

        torch.set_num_threads(args.threads)
        torch.manual_seed(args.seed)
        tmodel = build_model(torch, args.hidden)
        model.load_state_dict(init_state)
        copy_into_torch(model, tmodel, torch)
        histories["torch"] = train(torch, tmodel, data, args, "torch")

    if args.plot:
        plot(histories, args.plot)
        print(f"plot: {os.path.abspath(args.plot)}")
    for name, h in histories.items():
        # the first epoch includes warm-up: the median of the others is the epoch time
        steady = sorted(h["epoch_s"][1:] or h["epoch_s"])
        print(f"{name}: epoch time {steady[len(steady) // 2] * 1e3:.1f} ms (median), "
              f"final loss {h['loss'][-1]:.4f}, test accuracy {h['accuracy'][-1]:.3f}")
    if args.compare_torch:
        r = sorted(histories["rusttorch"]["epoch_s"][1:])
        t = sorted(histories["torch"]["epoch_s"][1:])
        if r and t:
            print(f"epoch time ratio (torch / rusttorch): {t[len(t) // 2] / r[len(r) // 2]:.2f}x "
                  f"on {args.threads} thread(s)")
    acc = histories["rusttorch"]["accuracy"][-1]
    print(f"test accuracy: {acc:.3f}")
    if args.min_accuracy is not None and acc < args.min_accuracy:
        print(f"test accuracy {acc:.3f} is below --min-accuracy {args.min_accuracy}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
