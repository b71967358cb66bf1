"""Train cell networks for real and record their learning curves, resumably.

One run = one (architecture, seed) trained with a :class:`TrainConfig`: SGD with Nesterov
momentum, a per-epoch cosine schedule (the NAS-Bench-201 recipe, shortened) and gradient-norm
clipping. Each epoch
records ``train_loss`` / ``train_acc`` (running means over the epoch's minibatches, train mode,
as NAS-Bench-201 logs them), ``val_loss`` / ``val_acc`` (eval mode, whole validation split) and
its wall-clock seconds (training + evaluation). Accuracies are in percent.

Runs are deterministic on CPU: the weights come from ``torch.manual_seed(seed)``, the minibatch
order of epoch ``k`` from a generator seeded with ``(seed, k)``, and torch runs single-threaded
with deterministic algorithms. With a ``workdir`` every epoch ends with a checkpoint (model,
optimizer, schedule, curves so far), so an interrupted run resumes and produces the same curves
as an uninterrupted one; a finished run leaves a small JSON file and no checkpoint.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import math
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch import nn

from features.errors import OmniError
from omni.spaces.base import Task
from omni.training.datasets import DatasetSpec, ImageData, load_dataset

logger = logging.getLogger(__name__)

#: the per-epoch metrics of every run, in this order
METRICS = ("train_loss", "train_acc", "val_loss", "val_acc")
BATCH_NORMS = (nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d)


@dataclass(frozen=True)
class TrainConfig:
    """Everything that determines a run besides the architecture and the seed.

    The defaults are the built-in ``nb201-digits`` benchmark's: NAS-Bench-201's recipe (SGD,
    Nesterov, cosine, weight decay 5e-4) with lr 0.05 for batch 64, gradient-norm clipping at 5
    (as DARTS) and a small network (channels 4/8/16, 3 cells per stage) so that the cell, not
    the fixed skeleton, decides the accuracy. ``recalibrate_bn`` re-estimates batch-norm
    statistics on the training split before each evaluation (with ~14 steps an epoch the
    running averages lag far behind the weights, which made early validation points noise).
    """

    epochs: int = 12
    batch_size: int = 64
    lr: float = 0.05
    momentum: float = 0.9
    nesterov: bool = True
    weight_decay: float = 5e-4
    grad_clip: float | None = 5.0
    recalibrate_bn: bool = True
    channels: tuple[int, ...] = (4, 8, 16)
    cells_per_stage: int = 3
    data: DatasetSpec = field(default_factory=DatasetSpec)
    num_threads: int = 1

    def __post_init__(self) -> None:
        if self.epochs < 1:
            raise OmniError(f"epochs must be >= 1, got {self.epochs}")
        if self.batch_size < 1:
            raise OmniError(f"batch_size must be >= 1, got {self.batch_size}")
        if self.grad_clip is not None and not self.grad_clip > 0:
            raise OmniError(f"grad_clip must be > 0 or None, got {self.grad_clip}")
        if not self.lr > 0:
            raise OmniError(f"lr must be > 0, got {self.lr}")
        object.__setattr__(self, "channels", tuple(int(c) for c in self.channels))

    def to_dict(self) -> dict:
        out = asdict(self)
        out["channels"] = list(self.channels)
        return out

    def optimizer_description(self) -> dict:
        return {
            "name": "SGD",
            "lr": self.lr,
            "momentum": self.momentum,
            "nesterov": self.nesterov,
            "weight_decay": self.weight_decay,
            "schedule": "cosine annealing to 0 over the epochs, stepped per epoch",
            "batch_size": self.batch_size,
            "grad_clip_norm": self.grad_clip,
            "recalibrate_bn_before_eval": self.recalibrate_bn,
            "loss": "cross-entropy",
        }


@dataclass
class RunResult:
    """The curves of one (architecture, seed) run; ``complete`` once all epochs are done."""

    arch: str
    seed: int
    curves: dict[str, list[float]]
    epoch_seconds: list[float]
    complete: bool

    @property
    def epochs_done(self) -> int:
        return len(self.epoch_seconds)

    @property
    def final_val_acc(self) -> float:
        return self.curves["val_acc"][-1] if self.epoch_seconds else math.nan

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> RunResult:
        return cls(
            arch=data["arch"],
            seed=int(data["seed"]),
            curves={k: [float(v) for v in data["curves"][k]] for k in METRICS},
            epoch_seconds=[float(v) for v in data["epoch_seconds"]],
            complete=bool(data["complete"]),
        )


def run_key(arch: str, seed: int, config: TrainConfig) -> str:
    """A stable file stem for a run: a hash of its architecture, seed and configuration."""
    text = json.dumps({"arch": arch, "seed": seed, "config": config.to_dict()}, sort_keys=True)
    return hashlib.sha1(text.encode()).hexdigest()[:20]


@contextlib.contextmanager
def torch_determinism(num_threads: int = 1) -> Iterator[None]:
    """Single-process deterministic torch settings, restored on exit."""
    threads = torch.get_num_threads()
    deterministic = torch.are_deterministic_algorithms_enabled()
    warn_only = torch.is_deterministic_algorithms_warn_only_enabled()
    torch.set_num_threads(num_threads)
    torch.use_deterministic_algorithms(True, warn_only=True)
    try:
        yield
    finally:
        torch.set_num_threads(threads)
        torch.use_deterministic_algorithms(deterministic, warn_only=warn_only)


def minibatches(n: int, batch_size: int, order: np.ndarray | None = None) -> list[torch.Tensor]:
    """Index chunks of ``batch_size`` over ``order`` (default 0..n-1); a last chunk of one
    sample is dropped (batch norm cannot train on it)."""
    index = torch.from_numpy(np.arange(n) if order is None else order)
    chunks = list(torch.split(index, batch_size))
    if len(chunks) > 1 and len(chunks[-1]) == 1:  # a lone sample breaks batch norm: skip it
        chunks.pop()
    return chunks


def train_epoch(
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    data: ImageData,
    batch_size: int,
    grad_clip: float | None,
    rng: np.random.Generator,
    before_batch: Callable[[np.random.Generator], None] | None = None,
) -> tuple[float, float]:
    """One pass over the training images in an order drawn from ``rng``; mean loss and
    accuracy (percent). ``before_batch(rng)`` runs before each minibatch (a supernet draws its
    path there). Shared by the trainer and the supernet (:mod:`omni.weight_sharing.training`)."""
    model.train()
    order = rng.permutation(len(data.y_train))
    loss_sum, correct, seen = 0.0, 0, 0
    for idx in minibatches(len(order), batch_size, order):
        if before_batch is not None:
            before_batch(rng)
        x, y = data.x_train[idx], data.y_train[idx]
        optimizer.zero_grad(set_to_none=True)  # a supernet's candidates off the path keep none
        logits = model(x)
        loss = nn.functional.cross_entropy(logits, y)
        loss.backward()
        if grad_clip is not None:
            nn.utils.clip_grad_norm_(model.parameters(), grad_clip)
        optimizer.step()
        loss_sum += float(loss.detach()) * len(y)
        correct += int((logits.detach().argmax(1) == y).sum())
        seen += len(y)
    return loss_sum / seen, 100.0 * correct / seen


@torch.no_grad()
def recalibrate_bn(model: nn.Module, x: torch.Tensor, batch_size: int) -> None:
    """Re-estimate batch-norm running statistics on the training images ("precise BN").

    Every batch norm of ``model`` is reset; one the forward pass does not reach (a supernet's
    candidate off the current path) keeps the reset statistics. Shared by the trainer and the
    weight-sharing scores (:mod:`omni.weight_sharing.scoring`).
    """
    norms = [m for m in model.modules() if isinstance(m, BATCH_NORMS)]
    if not norms:
        return
    momenta = [m.momentum for m in norms]
    for m in norms:
        m.reset_running_stats()
        m.momentum = None  # cumulative average over the pass
    model.train()
    for idx in minibatches(len(x), batch_size):
        model(x[idx])
    for m, momentum in zip(norms, momenta, strict=True):
        m.momentum = momentum


@torch.no_grad()
def evaluate_model(
    model: nn.Module, x: torch.Tensor, y: torch.Tensor, batch_size: int
) -> tuple[float, float]:
    """Mean cross-entropy and accuracy (percent) of ``model`` in eval mode on ``(x, y)``."""
    model.eval()
    loss_sum, correct = 0.0, 0
    for idx in minibatches(len(y), max(batch_size, 256)):
        logits = model(x[idx])
        loss_sum += float(nn.functional.cross_entropy(logits, y[idx], reduction="sum"))
        correct += int((logits.argmax(1) == y[idx]).sum())
    return loss_sum / len(y), 100.0 * correct / len(y)


def save_atomic(obj, path: Path) -> None:
    """``obj`` into ``path`` (JSON for ``.json``, else ``torch.save``) through a temporary file
    and a rename: an interrupted write leaves the old file or none."""
    tmp = path.with_name(path.name + ".tmp")
    if path.suffix == ".json":
        tmp.write_text(json.dumps(obj), encoding="utf-8")
    else:
        torch.save(obj, tmp)
    tmp.replace(path)


def train_arch(
    space,
    arch,
    config: TrainConfig,
    seed: int = 0,
    workdir: str | Path | None = None,
    stop_after: int | None = None,
) -> RunResult:
    """Train ``arch`` (string or op tuple of ``space``) and return its curves.

    With ``workdir``, a finished run is read back instead of retrained and an unfinished one
    resumes from its last checkpoint. ``stop_after`` ends the run after that many epochs (in
    total), as an interruption would; calling again without it finishes the run.
    """
    arch_str = space.to_str(arch)
    key = run_key(arch_str, seed, config)
    done_path = ckpt_path = None
    if workdir is not None:
        workdir = Path(workdir)
        workdir.mkdir(parents=True, exist_ok=True)
        done_path, ckpt_path = workdir / f"{key}.json", workdir / f"{key}.pt"
        if done_path.exists():
            return RunResult.from_dict(json.loads(done_path.read_text(encoding="utf-8")))
    end = config.epochs if stop_after is None else min(int(stop_after), config.epochs)

    with torch_determinism(config.num_threads):
        data = load_dataset(config.data)
        torch.manual_seed(seed)
        model = space.network(
            arch_str,
            Task(config.data, data.input_shape, data.num_classes),
            channels=config.channels,
            cells_per_stage=config.cells_per_stage,
        )
        optimizer = torch.optim.SGD(
            model.parameters(),
            lr=config.lr,
            momentum=config.momentum,
            nesterov=config.nesterov,
            weight_decay=config.weight_decay,
        )
        scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=config.epochs)
        curves: dict[str, list[float]] = {m: [] for m in METRICS}
        seconds: list[float] = []
        if ckpt_path is not None and ckpt_path.exists():
            state = torch.load(ckpt_path, weights_only=True)
            model.load_state_dict(state["model"])
            optimizer.load_state_dict(state["optimizer"])
            scheduler.load_state_dict(state["scheduler"])
            curves, seconds = state["curves"], state["seconds"]
            logger.debug("%s seed %d: resuming after epoch %d", arch_str, seed, len(seconds))

        for epoch in range(len(seconds), end):
            start = time.perf_counter()
            train_loss, train_acc = train_epoch(
                model,
                optimizer,
                data,
                config.batch_size,
                config.grad_clip,
                np.random.default_rng((seed, epoch)),
            )
            if config.recalibrate_bn:
                recalibrate_bn(model, data.x_train, config.batch_size)
            val_loss, val_acc = evaluate_model(model, data.x_val, data.y_val, config.batch_size)
            scheduler.step()
            seconds.append(time.perf_counter() - start)
            for name, value in zip(
                METRICS, (train_loss, train_acc, val_loss, val_acc), strict=True
            ):
                curves[name].append(value)
            if ckpt_path is not None:
                state = {
                    "model": model.state_dict(),
                    "optimizer": optimizer.state_dict(),
                    "scheduler": scheduler.state_dict(),
                    "curves": curves,
                    "seconds": seconds,
                }
                save_atomic(state, ckpt_path)

    result = RunResult(arch_str, seed, curves, seconds, complete=len(seconds) >= config.epochs)
    if result.complete and done_path is not None:
        save_atomic(result.to_dict(), done_path)
        ckpt_path.unlink(missing_ok=True)
    return result


def _train_job(index: int, space, arch: str, seed: int, config: TrainConfig, workdir):
    return index, train_arch(space, arch, config, seed=seed, workdir=workdir)


def train_many(
    space,
    runs: Sequence[tuple[str, int]],
    config: TrainConfig,
    workdir: str | Path | None = None,
    n_jobs: int = 1,
    progress: bool = True,
) -> list[RunResult]:
    """Train every (architecture, seed) of ``runs`` with joblib (``n_jobs`` processes).

    Results come back in the order of ``runs``. Finished runs in ``workdir`` are not retrained.
    """
    from joblib import Parallel, delayed

    from omni.progress import progress_bar

    if n_jobs == 0:
        raise OmniError("n_jobs must be >= 1 (or negative, joblib-style), got 0")
    results: list[RunResult | None] = [None] * len(runs)
    jobs = (
        delayed(_train_job)(k, space, arch, seed, config, workdir)
        for k, (arch, seed) in enumerate(runs)
    )
    parallel = Parallel(n_jobs=n_jobs, return_as="generator_unordered")
    bar = progress_bar(
        parallel(jobs), total=len(runs), desc="training", unit="run", disable=not progress
    )
    for index, result in bar:
        results[index] = result
        logger.debug(
            "trained %s seed %d: val_acc %.2f", result.arch, result.seed, result.final_val_acc
        )
    return results  # type: ignore[return-value]
