"""Zero-cost proxies: an ``nn.Module`` and one minibatch in, one float per proxy out.

    scores, seconds = compute_proxies(model, inputs, targets, proxies=["jacov", "synflow"], seed=0)

Every proxy follows the NAS-Bench-Suite-Zero / NASLib definition and orientation (higher =
predicted better, as published); each module of this package documents its formula and paper.
A numerical failure (overflow, NaN/inf, degenerate Jacobian, an output that ignores its input)
gives NaN and a logged reason, never an exception or a sentinel.

Proxies that need the same computation share it: one forward pass (training mode) with up to
three backward sweeps serves jacov, epe_nas, nwot, grad_norm, snip, plain, fisher and grasp
(see :mod:`features.zero_cost._shared`); synflow and zen work on deep copies; params, flops and
l2_norm only read the model. ``seconds[p]`` is the time of ``p``'s own work plus an equal share
of every shared stage it uses, so the seconds add up to the wall time.

Language models take ``input_kind="tokens"``: inputs and targets are integer ids of shape
(seq_len, batch) (targets = the next tokens), the loss is the next-token cross-entropy over the
flattened (seq_len * batch, vocab) logits, a sample is a sequence, input gradients are taken at
the output of the model's first ``nn.Embedding``, and the model is scored in eval mode (no
dropout). epe_nas needs one class per sample and is NaN (logged) on tokens.
"""

from __future__ import annotations

import importlib
import math
import time
from collections.abc import Callable, Iterable
from types import ModuleType

import torch
from torch import nn

from features.errors import OmniError
from features.zero_cost._common import (
    INPUT_KINDS,
    Evidence,
    first_embedding,
    logger,
    token_cross_entropy,
)
from features.zero_cost._shared import run_shared_pass

#: module names of the proxies (each module defines ``NAME`` and ``score``)
_PROXY_MODULES = (
    "epe_nas", "fisher", "flops", "grad_norm", "grasp", "jacov", "l2_norm",
    "nwot", "params", "plain", "snip", "synflow", "zen",
)  # fmt: skip
_MODULES: dict[str, ModuleType] = {
    m.NAME: m
    for m in (importlib.import_module(f"features.zero_cost.{name}") for name in _PROXY_MODULES)
}

#: every proxy name, alphabetical (the NAS-Bench-Suite-Zero set)
PROXIES: tuple[str, ...] = tuple(sorted(_MODULES))

#: shared-pass stage -> the products that make it run
_STAGE_PRODUCTS = {
    "forward": {"relu_kernel", "input_grad", "weight_grads", "activations", "hessian_grads"},
    "input_backward": {"input_grad"},
    "weight_backward": {"weight_grads", "activations", "hessian_grads"},
    "hessian_backward": {"hessian_grads"},
}


def check_proxies(proxies: Iterable[str] | str | None) -> list[str]:
    """Validated proxy names in the given order (``None`` = all); OmniError for unknown ones."""
    if proxies is None:
        return list(PROXIES)
    if isinstance(proxies, str):
        proxies = [p.strip() for p in proxies.split(",") if p.strip()]
    names = list(dict.fromkeys(proxies))
    unknown = [p for p in names if p not in _MODULES]
    if unknown:
        raise OmniError(f"unknown zero-cost proxies {unknown}; available: {', '.join(PROXIES)}")
    if not names:
        raise OmniError(f"no proxy requested; available: {', '.join(PROXIES)}")
    return names


def _check_tokens(model: nn.Module, inputs: torch.Tensor, targets: torch.Tensor) -> None:
    if inputs.dim() != 2 or inputs.shape[1] < 2 or inputs.is_floating_point():
        raise OmniError(
            f"token inputs must be integer ids of shape (seq_len, batch >= 2), got "
            f"{tuple(inputs.shape)} {inputs.dtype}"
        )
    if targets.shape != inputs.shape or targets.is_floating_point():
        raise OmniError(
            f"token targets must be integer ids of the inputs' shape {tuple(inputs.shape)}, "
            f"got {tuple(targets.shape)} {targets.dtype}"
        )
    embedding = first_embedding(model)
    low, high = int(min(inputs.min(), targets.min())), int(max(inputs.max(), targets.max()))
    if low < 0 or (embedding is not None and high >= embedding.num_embeddings):
        vocab = "?" if embedding is None else embedding.num_embeddings
        raise OmniError(f"token ids span [{low}, {high}], the model's vocabulary is {vocab}")


def _check_batch(
    model: nn.Module, inputs: torch.Tensor, targets: torch.Tensor, input_kind: str = "image"
) -> None:
    if not isinstance(model, nn.Module):
        raise OmniError(f"expected a torch.nn.Module, got {type(model).__name__}")
    if not isinstance(inputs, torch.Tensor) or not isinstance(targets, torch.Tensor):
        raise OmniError("inputs and targets must be torch tensors")
    if input_kind not in INPUT_KINDS:
        raise OmniError(f"input_kind must be one of {INPUT_KINDS}, got {input_kind!r}")
    if input_kind == "tokens":
        _check_tokens(model, inputs, targets)
        return
    if inputs.dim() < 2 or inputs.shape[0] < 2:
        raise OmniError(f"inputs must be a batch (N >= 2, ...), got shape {tuple(inputs.shape)}")
    if not inputs.is_floating_point():
        raise OmniError(f"inputs must be floating point, got {inputs.dtype}")
    if targets.shape != (inputs.shape[0],):
        raise OmniError(
            f"targets must have shape ({inputs.shape[0]},) to match the inputs, "
            f"got {tuple(targets.shape)}"
        )
    expected = getattr(model, "input_shape", None)
    if expected is not None and tuple(inputs.shape[1:]) != tuple(expected):
        raise OmniError(
            f"inputs of shape {tuple(inputs.shape[1:])} per image, but the model was built for "
            f"{tuple(expected)}"
        )


def compute_proxies(
    model: nn.Module,
    inputs: torch.Tensor,
    targets: torch.Tensor,
    proxies: Iterable[str] | str | None = None,
    seed: int = 0,
    loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] | None = None,
    input_kind: str = "image",
) -> tuple[dict[str, float], dict[str, float]]:
    """Score ``model`` on one minibatch: ``(scores, seconds)``, both keyed by proxy name.

    ``seed`` fixes the random draws of the proxies that make any (zen); the same model, batch
    and seed give identical scores. The model is left as it was (weights, BatchNorm statistics,
    training flag, ``.grad``). ``input_kind`` is the model's :class:`~omni.spaces.Task`
    ``inputs``: ``"image"`` or ``"tokens"`` (see the module docstring). Raises
    :class:`OmniError` for unknown proxies or a batch the model cannot take; numerical failures
    give NaN (logged).
    """
    names = check_proxies(proxies)
    _check_batch(model, inputs, targets, input_kind)
    tokens = input_kind == "tokens"
    ev = Evidence(
        model=model,
        inputs=inputs.detach(),
        targets=targets.detach().long(),
        seed=int(seed),
        loss_fn=loss_fn or (token_cross_entropy if tokens else nn.functional.cross_entropy),
        input_kind=input_kind,
    )
    if tokens:  # any random draw of a token model (e.g. its dropout) is fixed by the seed
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(int(seed))
            return _score(ev, names, inputs.shape)
    return _score(ev, names, inputs.shape)


def _score(
    ev: Evidence, names: list[str], shape: torch.Size
) -> tuple[dict[str, float], dict[str, float]]:
    needs = {p: _MODULES[p].NEEDS for p in names}
    wanted = set().union(*needs.values())
    scores: dict[str, float] = {}
    seconds: dict[str, float] = {p: 0.0 for p in names}
    try:
        stage_seconds = run_shared_pass(ev, wanted)
        for stage, secs in stage_seconds.items():
            users = [p for p in names if needs[p] & _STAGE_PRODUCTS[stage]]
            for p in users:
                seconds[p] += secs / len(users)
        for p in names:
            t0 = time.perf_counter()
            value = _MODULES[p].score(ev)
            seconds[p] += time.perf_counter() - t0
            scores[p] = float(value) if value is not None else math.nan
    except RuntimeError as err:  # shape/dtype mismatch inside the model
        raise OmniError(f"the model failed on inputs of shape {tuple(shape)}: {err}") from err
    for p, value in scores.items():
        if not math.isfinite(value) and not math.isnan(value):
            logger.warning("zero-cost proxy %s is NaN: non-finite value %s", p, value)
            scores[p] = math.nan
    return scores, seconds


__all__ = ["PROXIES", "check_proxies", "compute_proxies"]
