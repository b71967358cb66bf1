"""The shared pass: one forward and up to three backward sweeps that serve ten proxies.

- forward in training mode (BatchNorm uses batch statistics, as in NASLib), with the inputs
  requiring grad (jacov, epe_nas), forward pre-hooks on ReLU modules (nwot) and forward hooks on
  conv/linear outputs (fisher);
- backward 1: d(sum of logits)/d(inputs), the Jacobian rows of jacov and epe_nas;
- backward 2: dL/dW for conv/linear weights and dL/d(layer outputs) (grad_norm, snip, plain,
  fisher, grasp), with ``create_graph`` only when grasp needs second derivatives;
- backward 3: H g = d(g_detached . g)/dW (grasp).

On a token batch (``ev.input_kind == "tokens"``: integer ids (seq_len, batch)) the samples are
the sequences, the "input" of jacov / epe_nas is the output of the first ``nn.Embedding`` (taken
with a forward hook) and the model runs in eval mode: a language model has no BatchNorm, so
training mode would only add random dropout masks to the scores.

The model's BatchNorm running statistics, its training flag and its ``.grad`` fields are left
exactly as they were (gradients are taken with ``torch.autograd.grad``).
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from contextlib import ExitStack

import numpy as np
import torch

from features.zero_cost._common import (
    Evidence,
    embedding_output,
    first_embedding,
    is_relu,
    weight_layers,
)

#: products of the shared pass, in the order they are computed
PRODUCTS = ("relu_kernel", "input_grad", "weight_grads", "activations", "hessian_grads")


def _snapshot_buffers(model: torch.nn.Module) -> dict[str, torch.Tensor]:
    return {name: buf.detach().clone() for name, buf in model.named_buffers()}


def _restore_buffers(model: torch.nn.Module, saved: dict[str, torch.Tensor]) -> None:
    with torch.no_grad():
        for name, buf in model.named_buffers():
            if name in saved:
                buf.copy_(saved[name])


def _rows(t: torch.Tensor, n: int, seq_len: int | None = None) -> torch.Tensor:
    """``t`` as (n, -1), one row per sample.

    With ``seq_len`` (a token batch) a tensor (seq_len, batch, ...) or (seq_len * batch, ...) is
    regrouped by sequence; a (batch, ...) tensor of one time step is taken as it is.
    """
    if seq_len is not None:
        if t.dim() >= 3:
            t = t.transpose(0, 1)
        elif t.dim() == 2 and t.shape[0] == seq_len * n != n:
            t = t.reshape(seq_len, n, -1).transpose(0, 1)
    return t.reshape(n, -1)


def _embedding_grad(ev: Evidence, logits: torch.Tensor, embedded: list[torch.Tensor], keep: bool):
    """d(sum of logits)/d(embedding output) as (sequences, -1); None when it is unreachable."""
    if not embedded or not embedded[0].requires_grad:
        return None
    (grad,) = torch.autograd.grad(logits.sum(), embedded[0], retain_graph=keep, allow_unused=True)
    return None if grad is None else _rows(grad.detach(), ev.batch_size, ev.inputs.shape[0])


def run_shared_pass(ev: Evidence, needs: Iterable[str]) -> dict[str, float]:
    """Fill ``ev`` with the requested products; return seconds spent per stage.

    Stages: ``forward``, ``input_backward``, ``weight_backward``, ``hessian_backward``.
    """
    needs = set(needs)
    unknown = needs - set(PRODUCTS)
    if unknown:
        raise ValueError(f"unknown shared-pass products {sorted(unknown)}")
    seconds: dict[str, float] = {}
    if not needs:
        return seconds
    model = ev.model
    want_weights = bool(needs & {"weight_grads", "activations", "hessian_grads"})
    saved = _snapshot_buffers(model)
    was_training = model.training
    handles = []
    stack = ExitStack()
    kernel: list[np.ndarray] = []
    relu_count = 0
    outputs: dict[int, list[torch.Tensor]] = {}
    layers = weight_layers(model) if want_weights else []
    frozen = [m.weight for m in layers if not m.weight.requires_grad]
    try:
        model.train(not ev.tokens)
        for w in frozen:  # proxies score every weight, trainable or not
            w.requires_grad_(True)
        x = ev.inputs.detach().clone()
        if not ev.tokens:
            x.requires_grad_("input_grad" in needs)
        n = ev.batch_size
        seq_len = int(ev.inputs.shape[0]) if ev.tokens else None
        embedded: list[torch.Tensor] = []
        if ev.tokens and "input_grad" in needs and first_embedding(model) is not None:

            def take_embedding(out: torch.Tensor) -> torch.Tensor:
                if not out.requires_grad:  # a frozen embedding: still differentiate at it
                    out = out.detach().requires_grad_(True)
                embedded.append(out)
                return out

            stack.enter_context(embedding_output(model, take_embedding))
        if "relu_kernel" in needs:
            kernel.append(np.zeros((n, n)))

            def code_hook(module, args):
                # c c^T + (1-c)(1-c)^T = 2 c c^T + D - s_n - s_m with s = c 1: one product;
                # 0/1 sums are exact in float32 up to 2**24 units per layer
                codes = (_rows(args[0].detach(), n, seq_len) > 0).to(torch.float32)
                both = (codes @ codes.T).to(torch.float64)
                ones = codes.sum(dim=1, dtype=torch.float64)
                agree = 2.0 * both + codes.shape[1] - ones[:, None] - ones[None, :]
                kernel[0] += agree.cpu().numpy()

            for m in model.modules():
                if is_relu(m):
                    handles.append(m.register_forward_pre_hook(code_hook))
                    relu_count += 1
        if "activations" in needs:
            for k, layer in enumerate(layers):

                def out_hook(module, args, out, k=k):
                    outputs.setdefault(k, []).append(out)

                handles.append(layer.register_forward_hook(out_hook))

        t0 = time.perf_counter()
        logits = model(x)
        t1 = time.perf_counter()
        seconds["forward"] = t1 - t0
        ev.logits = logits.detach()
        if "relu_kernel" in needs:
            ev.relu_kernel = kernel[0] if relu_count else None
            ev.relu_layers = relu_count

        if "input_grad" in needs and ev.tokens:
            ev.input_grad = _embedding_grad(ev, logits, embedded, want_weights)
            seconds["input_backward"] = time.perf_counter() - t1
            t1 = time.perf_counter()
        elif "input_grad" in needs:
            (grad,) = torch.autograd.grad(
                logits.sum(), x, retain_graph=want_weights, allow_unused=True
            )
            ev.input_grad = None if grad is None else grad.detach().reshape(n, -1)
            t2 = time.perf_counter()
            seconds["input_backward"] = t2 - t1
            t1 = t2

        if want_weights and not layers:
            ev.layers, ev.weight_grads = [], []
            ev.activations, ev.hessian_grads = [], []
        elif want_weights:
            loss = ev.loss_fn(logits, ev.targets)
            acts = [(k, o) for k, outs in sorted(outputs.items()) for o in outs]
            act_tensors = [o for _, o in acts if o.requires_grad]
            act_keys = [(k, o) for k, o in acts if o.requires_grad]
            weights = [layer.weight for layer in layers]
            grasp = "hessian_grads" in needs
            grads = torch.autograd.grad(
                loss,
                weights + act_tensors,
                create_graph=grasp,
                retain_graph=grasp,
                allow_unused=True,
            )
            w_grads = list(grads[: len(weights)])
            ev.layers = layers
            ev.weight_grads = [None if g is None else g.detach() for g in w_grads]
            if "activations" in needs:
                per_layer: list[list[tuple[torch.Tensor, torch.Tensor]]] = [[] for _ in layers]
                for (k, out), g in zip(act_keys, grads[len(weights) :], strict=True):
                    if g is not None:
                        per_layer[k].append((out.detach(), g.detach()))
                ev.activations = per_layer
            t2 = time.perf_counter()
            seconds["weight_backward"] = t2 - t1
            t1 = t2
            if grasp:
                z = sum(
                    (g.detach() * g).sum() for g in w_grads if g is not None and g.requires_grad
                )
                hg = (
                    torch.autograd.grad(z, weights, allow_unused=True)
                    if isinstance(z, torch.Tensor)
                    else [None] * len(weights)
                )
                ev.hessian_grads = [None if h is None else h.detach() for h in hg]
                seconds["hessian_backward"] = time.perf_counter() - t1
    finally:
        stack.close()
        for h in handles:
            h.remove()
        for w in frozen:
            w.requires_grad_(False)
        _restore_buffers(model, saved)
        model.train(was_training)
    return seconds
